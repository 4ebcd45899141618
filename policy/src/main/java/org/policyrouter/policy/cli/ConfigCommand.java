package org.policyrouter.policy.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;


import org.policyrouter.policy.XmlFiles;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@code policy-router config [CONF]}: the settings the configuration files make, one
 * {@code file: name = value} per line, as Postfix's {@code postconf -n} lists what main.cf sets:
 * the SMTP servers' addresses and every parameter of this project's handlers
 * ({@code smtpserver.xml}), every parameter of this project's mailets and matchers by processor
 * ({@code mailetcontainer.xml}), and the spool and WebAdmin properties. Defaults that no file
 * states are not listed; the Javadoc of each class and README give them.
 */
final class ConfigCommand {
    private static final String OURS = "org.policyrouter.";
    private static final List<String> PROPERTIES = List.of("spool.properties", "webadmin.properties", "healthcheck.properties");

    private final PrintStream out;
    private final PrintStream err;

    ConfigCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** @param conf the distribution's {@code conf/}, the parent of the policy directory */
    int run(Path conf) {
        try {
            List<String> lines = new ArrayList<>();
            smtpServers(conf.resolve("smtpserver.xml"), lines);
            mailets(conf.resolve("mailetcontainer.xml"), lines);
            for (String name : PROPERTIES) {
                properties(conf.resolve(name), lines);
            }
            lines.forEach(out::println);
            return PolicyRouterCli.OK;
        } catch (IOException e) {
            err.println("policy-router config: " + e.getMessage());
            return PolicyRouterCli.INVALID;
        }
    }

    private static void smtpServers(Path file, List<String> lines) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        NodeList servers = XmlFiles.read(file).getElementsByTagName("smtpserver");
        for (int i = 0; i < servers.getLength(); i++) {
            Element server = (Element) servers.item(i);
            String prefix = "smtpserver.xml: smtpserver[" + (i + 1) + "]";
            lines.add(prefix + ".enabled = " + (server.getAttribute("enabled").isEmpty() ? "true" : server.getAttribute("enabled")));
            text(server, "bind").ifPresent(bind -> lines.add(prefix + ".bind = " + bind));
            NodeList handlers = server.getElementsByTagName("handler");
            for (int h = 0; h < handlers.getLength(); h++) {
                Element handler = (Element) handlers.item(h);
                if (handler.getAttribute("class").startsWith(OURS)) {
                    parameters(handler, prefix + "." + shortName(handler.getAttribute("class")), lines);
                }
            }
        }
    }

    private static void mailets(Path file, List<String> lines) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        NodeList processors = XmlFiles.read(file).getElementsByTagName("processor");
        for (int i = 0; i < processors.getLength(); i++) {
            Element processor = (Element) processors.item(i);
            NodeList mailets = processor.getElementsByTagName("mailet");
            for (int m = 0; m < mailets.getLength(); m++) {
                Element mailet = (Element) mailets.item(m);
                String match = mailet.getAttribute("match");
                if (mailet.getAttribute("class").startsWith(OURS) || match.startsWith(OURS)) {
                    String name = "mailetcontainer.xml: " + processor.getAttribute("state") + "/" + shortName(mailet.getAttribute("class"))
                        + "[" + shortName(match) + "]";
                    lines.add(name);
                    parameters(mailet, name, lines);
                }
            }
        }
    }

    /** Each child element with text, as {@code prefix.name = text}; nested ones by path, attributes in brackets. */
    private static void parameters(Element element, String prefix, List<String> lines) {
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element) {
                Element parameter = (Element) child;
                String name = prefix + "." + parameter.getTagName() + attributes(parameter);
                String text = parameter.getTextContent().strip();
                if (hasElementChildren(parameter)) {
                    parameters(parameter, name, lines);
                } else {
                    lines.add(name + " = " + text.replaceAll("\\s+", " "));
                }
            }
        }
    }

    private static String attributes(Element element) {
        TreeSet<String> attributes = new TreeSet<>();
        for (int a = 0; a < element.getAttributes().getLength(); a++) {
            Node attribute = element.getAttributes().item(a);
            attributes.add(attribute.getNodeName() + "=" + attribute.getNodeValue());
        }
        return attributes.isEmpty() ? "" : "[" + String.join(",", attributes) + "]";
    }

    private static boolean hasElementChildren(Element element) {
        for (Node child = element.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element) {
                return true;
            }
        }
        return false;
    }

    private static java.util.Optional<String> text(Element parent, String tag) {
        NodeList found = parent.getElementsByTagName(tag);
        return found.getLength() == 0 ? java.util.Optional.empty() : java.util.Optional.of(found.item(0).getTextContent().strip());
    }

    private static void properties(Path file, List<String> lines) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        }
        new TreeSet<>(properties.stringPropertyNames()).forEach(key ->
            lines.add(file.getFileName() + ": " + key + " = " + properties.getProperty(key)));
    }

    /** {@code org.policyrouter.mailets.RelayDelivery} → {@code RelayDelivery}; a matcher keeps its condition. */
    private static String shortName(String className) {
        int condition = className.indexOf('=');
        String name = condition < 0 ? className : className.substring(0, condition);
        String simple = name.substring(name.lastIndexOf('.') + 1);
        return condition < 0 ? simple : simple + className.substring(condition);
    }
}
