package org.policyrouter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A transport table of {@code rules} lines like an operator's: a third each domains, wildcards
 * and addresses, and 1% regexes spread evenly through the file; plus addresses that hit it.
 */
final class GeneratedPolicy {
    private GeneratedPolicy() {
    }

    static boolean isRegex(int line) {
        return line % 100 == 50;
    }

    static String destination(int line) {
        if (isRegex(line)) {
            return line % 200 == 50 ? "/^list-" + line + "-[a-z0-9]+@/" : "/.*spl-[0-9]{6}\\.r" + line + "\\.example/";
        }
        switch (line % 3) {
            case 0:
                return "d" + line + ".example";
            case 1:
                return "*.w" + line + ".example";
            default:
                return "user" + line + "@a" + line + ".example";
        }
    }

    /** An address whose first match is {@code line}. */
    static String addressFor(int line) {
        if (isRegex(line)) {
            return line % 200 == 50 ? "list-" + line + "-abc@lists.example" : "x@host-spl-123456.r" + line + ".example";
        }
        switch (line % 3) {
            case 0:
                return "someone@d" + line + ".example";
            case 1:
                return "someone@mail.eu.w" + line + ".example";
            default:
                return "user" + line + "@a" + line + ".example";
        }
    }

    /** Writes {@code transport} into {@code directory}; next hops are a few relay lists, as in real tables. */
    static void write(Path directory, int rules) throws IOException {
        StringBuilder transport = new StringBuilder("# generated: ").append(rules).append(" rules\n");
        for (int line = 2; line < rules + 2; line++) {
            transport.append(destination(line)).append(' ').append("relay").append(line % 16).append(".example:2525\n");
        }
        Files.writeString(directory.resolve("transport"), transport);
    }

    /** Addresses hitting indexed (non-regex) lines spread uniformly over the table. */
    static String[] indexedHits(int rules, int count, Random random) {
        String[] addresses = new String[count];
        for (int i = 0; i < count; i++) {
            int line;
            do {
                line = 2 + random.nextInt(rules);
            } while (isRegex(line));
            addresses[i] = addressFor(line);
        }
        return addresses;
    }
}
