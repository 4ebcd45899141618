package org.policyrouter.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.xml.sax.Attributes;
import org.xml.sax.Locator;
import org.xml.sax.helpers.DefaultHandler;

/**
 * What James would only find at start (or, for a processor name, when the first mail goes
 * there): a {@code class}/{@code match} of this project's handlers, mailets and matchers that
 * names no class, and a processor parameter ({@code <processor>} of ToProcessor,
 * {@code routedProcessor}, {@code retryProcessor}, {@code loopProcessor}, … — every parameter
 * named {@code processor} or {@code …Processor}) that names no processor of
 * {@code mailetcontainer.xml}, where James would send the mail to its error processor or stop.
 * Each error is {@code file:line: message}. James's own short names ({@code ToProcessor},
 * {@code All}) are resolved by James against its own packages and are not checked.
 */
public final class XmlReferences {
    static final String OURS = "org.policyrouter.";
    /** James's state for a mail whose processing is over: a valid target though no processor has it. */
    private static final String GHOST = "ghost";

    private XmlReferences() {
    }

    /** Handler classes of {@code smtpserver.xml} (or {@code lmtpserver.xml}) that do not load. */
    public static List<PolicyError> handlers(Path smtpServer, ClassLoader classes) throws IOException {
        List<PolicyError> errors = new ArrayList<>();
        XmlFiles.read(smtpServer, new Elements() {
            @Override
            void element(String name, Attributes attributes, int line) {
                if (name.equals("handler")) {
                    missingClass(attributes.getValue("class"), classes)
                        .ifPresent(problem -> errors.add(new PolicyError(smtpServer.toString(), line, "<handler class=\"" + attributes.getValue("class") + "\">: " + problem)));
                }
            }
        });
        return errors;
    }

    /** Mailet and matcher classes, and processor parameters, of {@code mailetcontainer.xml} that name nothing. */
    public static List<PolicyError> mailets(Path mailetContainer, ClassLoader classes) throws IOException {
        List<PolicyError> errors = new ArrayList<>();
        Set<String> processors = new LinkedHashSet<>();
        List<String[]> references = new ArrayList<>();
        XmlFiles.read(mailetContainer, new Elements() {
            private String mailet;

            @Override
            void element(String name, Attributes attributes, int line) {
                if (name.equals("processor") && attributes.getValue("state") != null) {
                    processors.add(attributes.getValue("state"));
                } else if (name.equals("mailet")) {
                    String className = attributes.getValue("class");
                    String match = attributes.getValue("match");
                    mailet = className == null ? "mailet" : shortName(className);
                    missingClass(className, classes).ifPresent(problem ->
                        errors.add(new PolicyError(mailetContainer.toString(), line, "<mailet class=\"" + className + "\">: " + problem)));
                    // a matcher may carry a condition: NextHopIs=queue
                    String matcher = match == null ? null : match.split("=", 2)[0];
                    missingClass(matcher, classes).ifPresent(problem ->
                        errors.add(new PolicyError(mailetContainer.toString(), line, "<mailet match=\"" + match + "\">: " + problem)));
                }
            }

            @Override
            void text(String name, String parent, String text, int line) {
                if (parent.equals("mailet") && (name.equals("processor") || name.endsWith("Processor"))) {
                    references.add(new String[] {name, text, String.valueOf(line), mailet});
                }
            }
        });
        for (String[] reference : references) {
            String target = reference[1];
            if (!processors.contains(target) && !target.equals(GHOST)) {
                errors.add(new PolicyError(mailetContainer.toString(), Integer.parseInt(reference[2]), "<" + reference[0] + ">" + target + "</" + reference[0] + "> of "
                    + reference[3] + ": no such processor (processors: " + String.join(", ", processors) + ")"));
            }
        }
        errors.sort(java.util.Comparator.comparingInt(PolicyError::line));
        return errors;
    }

    /** Only this project's classes: James looks its own short names up in its own packages. */
    private static java.util.Optional<String> missingClass(String className, ClassLoader classes) {
        if (className == null || !className.strip().startsWith(OURS)) {
            return java.util.Optional.empty();
        }
        try {
            // not initialised: a check must not run the class's static code
            Class.forName(className.strip(), false, classes);
            return java.util.Optional.empty();
        } catch (ClassNotFoundException e) {
            return java.util.Optional.of("no such class in James's lib or extensions-jars");
        } catch (LinkageError e) {
            return java.util.Optional.of("class cannot be loaded: " + e);
        }
    }

    private static String shortName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** Elements with the line they start on, and the text of leaf elements with their parent's name. */
    private abstract static class Elements extends DefaultHandler {
        private Locator locator;
        private final Deque<String> open = new ArrayDeque<>();
        private final Deque<Integer> lines = new ArrayDeque<>();
        private StringBuilder text = new StringBuilder();

        @Override
        public void setDocumentLocator(Locator locator) {
            this.locator = locator;
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attributes) {
            int line = locator == null ? 0 : locator.getLineNumber();
            element(qName, attributes, line);
            open.push(qName);
            lines.push(line);
            text = new StringBuilder();
        }

        @Override
        public void characters(char[] ch, int start, int length) {
            text.append(ch, start, length);
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            open.pop();
            int line = lines.pop();
            if (!open.isEmpty()) {
                text(qName, open.peek(), text.toString().strip(), line);
            }
            text = new StringBuilder();
        }

        abstract void element(String name, Attributes attributes, int line);

        void text(String name, String parent, String text, int line) {
        }
    }
}
