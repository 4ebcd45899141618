package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits the command line of a pipe or MDA next hop into argv, when the table loads, so a broken
 * line is a {@code transport:N:} error and not a failure at every delivery. It splits the way a POSIX shell tokenises words, without running a
 * shell: white space separates words, single quotes keep everything literally, double quotes
 * keep white space and honour backslash escapes of {@code " \ $ `}, a backslash outside quotes
 * escapes the next character. No expansion of any kind happens.
 */
public final class CommandLine {
    private CommandLine() {
    }

    /** @throws IllegalArgumentException on an unterminated quote or a trailing backslash */
    public static List<String> split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated quote (') in '" + line + "'");
                }
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i = readDoubleQuoted(line, i + 1, word);
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= line.length()) {
                    throw new IllegalArgumentException("trailing backslash in '" + line + "'");
                }
                word.append(line.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    private static int readDoubleQuoted(String line, int start, StringBuilder word) {
        int i = start;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                word.append(line.charAt(i + 1));
                i += 2;
            } else {
                word.append(c);
                i++;
            }
        }
        throw new IllegalArgumentException("unterminated quote (\") in '" + line + "'");
    }
}
