package org.policyrouter.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The drop-in installation as README.md writes it: its fenced blocks whose info string says
 * {@code dropin}. {@code ```sh dropin} runs with bash in the bundled distribution, {@code $JAMES}
 * set; {@code ```xml dropin FILE before|after ANCHOR} goes into {@code FILE} of the James folder
 * at the first ANCHOR, or {@code replace}s it; {@code ```properties dropin FILE append} is appended. The test installs
 * from the text operators read, so the two cannot drift apart.
 */
final class DropInReadme {
    private static final String FENCE = "```";

    private final List<Block> blocks;

    private DropInReadme(List<Block> blocks) {
        this.blocks = blocks;
    }

    static DropInReadme read(Path readme) throws IOException {
        List<Block> blocks = new ArrayList<>();
        List<String> lines = Files.readAllLines(readme);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String[] info = line.startsWith(FENCE) ? line.substring(FENCE.length()).split(" ", 5) : new String[0];
            if (info.length < 2 || !info[1].equals("dropin")) {
                continue;
            }
            StringBuilder body = new StringBuilder();
            for (i++; !lines.get(i).equals(FENCE); i++) {
                body.append(lines.get(i)).append('\n');
            }
            blocks.add(new Block(info, body.toString()));
        }
        if (blocks.isEmpty()) {
            throw new IllegalStateException(readme + " has no dropin block");
        }
        return new DropInReadme(blocks);
    }

    int size() {
        return blocks.size();
    }

    /** Does every step to the James folder {@code james}, running the shell steps in {@code distribution}. */
    void install(Path distribution, Path james) throws Exception {
        for (Block block : blocks) {
            block.apply(distribution, james);
        }
    }

    private static final class Block {
        final String[] info;
        final String body;

        Block(String[] info, String body) {
            this.info = info;
            this.body = body;
        }

        void apply(Path distribution, Path james) throws Exception {
            if (info[0].equals("sh")) {
                ProcessBuilder builder = new ProcessBuilder("bash", "-euc", body).directory(distribution.toFile()).redirectErrorStream(true);
                builder.environment().put("JAMES", james.toString());
                Process shell = builder.start();
                String output = new String(shell.getInputStream().readAllBytes());
                if (!shell.waitFor(60, TimeUnit.SECONDS) || shell.exitValue() != 0) {
                    throw new IllegalStateException("README's drop-in shell step failed: " + output);
                }
                return;
            }
            Path file = james.resolve(info[2]);
            String content = Files.readString(file);
            switch (info[3]) {
                case "append":
                    Files.writeString(file, content + (content.endsWith("\n") ? "" : "\n") + body);
                    return;
                case "replace":
                    if (!content.contains(info[4])) {
                        throw new IllegalStateException("README's anchor '" + info[4] + "' is not in " + file);
                    }
                    Files.writeString(file, content.replaceFirst(java.util.regex.Pattern.quote(info[4]),
                        java.util.regex.Matcher.quoteReplacement(body.stripTrailing())));
                    return;
                case "before":
                case "after":
                    int at = content.indexOf(info[4]);
                    if (at < 0) {
                        throw new IllegalStateException("README's anchor '" + info[4] + "' is not in " + file);
                    }
                    int insertAt = info[3].equals("before") ? at : at + info[4].length();
                    String text = info[3].equals("before") ? body : "\n" + body.stripTrailing();
                    Files.writeString(file, content.substring(0, insertAt) + text + content.substring(insertAt));
                    return;
                default:
                    throw new IllegalStateException("README: unknown drop-in step '" + String.join(" ", info) + "'");
            }
        }
    }
}
