package org.policyrouter.it;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Edits of the shipped XML configuration that tests share. */
public final class ConfEdits {
    private ConfEdits() {
    }

    /** Replaces the whole {@code <processor state="NAME">…</processor>} block. */
    public static String replaceProcessor(String mailetContainer, String state, String newBlock) {
        Matcher m = Pattern.compile("<processor state=\"" + Pattern.quote(state) + "\"[\\s\\S]*?</processor>").matcher(mailetContainer);
        if (!m.find()) {
            throw new IllegalStateException("no processor " + state + " in mailetcontainer.xml");
        }
        return mailetContainer.substring(0, m.start()) + newBlock + mailetContainer.substring(m.end());
    }

    /** Keeps the mails a processor receives in a memory repository the test can inspect. */
    public static String processorToRepository(String mailetContainer, String state, String repositoryUrl) {
        return replaceProcessor(mailetContainer, state, "<processor state=\"" + state + "\" enableJmx=\"false\">\n"
            + "            <mailet match=\"All\" class=\"ToRepository\"><repositoryPath>" + repositoryUrl + "</repositoryPath></mailet>\n"
            + "        </processor>");
    }

    public static String addProcessor(String mailetContainer, String block) {
        return mailetContainer.replace("</processors>", block + "\n    </processors>");
    }

    /** Sets {@code <param>value</param>} inside the first mailet of the given class. */
    public static String mailetParameter(String mailetContainer, String mailetClass, String param, String value) {
        Matcher m = Pattern.compile("(class=\"" + Pattern.quote(mailetClass) + "\"[^>]*>)([\\s\\S]*?)(</mailet>)").matcher(mailetContainer);
        if (!m.find()) {
            throw new IllegalStateException("no mailet " + mailetClass + " in mailetcontainer.xml");
        }
        String body = m.group(2).replaceAll("\\s*<" + param + ">[^<]*</" + param + ">", "");
        return mailetContainer.substring(0, m.start()) + m.group(1) + "\n                <" + param + ">" + value + "</" + param + ">"
            + body + m.group(3) + mailetContainer.substring(m.end());
    }
}
