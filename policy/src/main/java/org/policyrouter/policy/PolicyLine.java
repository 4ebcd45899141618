package org.policyrouter.policy;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/** One meaningful line of a policy file: its number, its text without comment, its fields. */
public final class PolicyLine {
    private static final Pattern FIELD_SEPARATOR = Pattern.compile("[ \t\r]+");

    private final int number;
    private final String content;
    private final List<String> fields;

    PolicyLine(int number, String content) {
        this.number = number;
        this.content = content;
        this.fields = Arrays.asList(FIELD_SEPARATOR.split(content));
    }

    public int number() {
        return number;
    }

    /** The line without its comment and surrounding white space. */
    public String content() {
        return content;
    }

    public List<String> fields() {
        return fields;
    }

    /** The same line with other text, e.g. after {@code $variables} are expanded. */
    PolicyLine withContent(String newContent) {
        return new PolicyLine(number, newContent.strip());
    }

    /** The text after the first {@code n} fields, white space kept: a pipe's command line. */
    public String restAfter(int n) {
        String rest = content;
        for (int i = 0; i < n; i++) {
            rest = rest.strip();
            int space = indexOfWhitespace(rest);
            rest = space < 0 ? "" : rest.substring(space);
        }
        return rest.strip();
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r') {
                return i;
            }
        }
        return -1;
    }
}
