package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 11: a reload that fails with an OutOfMemoryError (a table under the size limit,
 * but too big for this heap) must not stop the reload thread, so the next valid edit is still
 * applied. Before, the scheduled task died on the Error and every later edit was ignored, with
 * nothing logged. A process of its own, with a 64 MiB heap.
 */
class ReloadThreadSurvivesTest {
    @TempDir
    Path dir;

    @Test
    void aReloadThatRunsOutOfHeapIsLoggedAndTheNextValidEditIsStillApplied() throws Exception {
        Files.writeString(dir.resolve("transport"), "a.example 10.0.0.1\n");
        Process child = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m", "-cp", System.getProperty("java.class.path"), ReloadingTablesProcess.class.getName(), dir.toString())
            .redirectErrorStream(true).start();
        BlockingQueue<String> output = new LinkedBlockingQueue<>();
        StringBuilder transcript = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (transcript) {
                        transcript.append(line).append('\n');
                    }
                    output.add(line);
                }
            } catch (Exception e) {
                // the child ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        try (BufferedWriter stdin = new BufferedWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8))) {
            assertThat(next(output, line -> line.equals("ready"))).isNotNull();
            assertThat(ask(stdin, output)).isEqualTo("10.0.0.1");

            // 8 MiB of rules: well under the size limit, but its load needs about 160 MiB of heap
            replace("transport", bigTable(8L * 1024 * 1024));
            String failure = next(output, line -> line.contains("OutOfMemoryError"), Duration.ofSeconds(20));

            replace("transport", "a.example 10.0.0.2\n");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            String hop = ask(stdin, output);
            while (!"10.0.0.2".equals(hop) && Instant.now().isBefore(deadline)) {
                Thread.sleep(200);
                hop = ask(stdin, output);
            }
            synchronized (transcript) {
                assertThat(hop).as("the next valid edit is applied; child output:%n%s", transcript).isEqualTo("10.0.0.2");
                assertThat(failure).as("the failed reload is logged; child output:%n%s", transcript).isNotNull();
            }
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String ask(BufferedWriter stdin, BlockingQueue<String> output) throws Exception {
        stdin.write("u@a.example\n");
        stdin.flush();
        String answer = next(output, line -> line.startsWith("hop="));
        return answer == null ? null : answer.substring("hop=".length());
    }

    private static String next(BlockingQueue<String> output, java.util.function.Predicate<String> wanted) throws InterruptedException {
        return next(output, wanted, Duration.ofSeconds(60));
    }

    private static String next(BlockingQueue<String> output, java.util.function.Predicate<String> wanted, Duration wait)
        throws InterruptedException {
        Instant deadline = Instant.now().plus(wait);
        while (Instant.now().isBefore(deadline)) {
            String line = output.poll(1, TimeUnit.SECONDS);
            if (line != null && wanted.test(line)) {
                return line;
            }
        }
        return null;
    }

    /** Write-then-rename, as operators should edit a live table. */
    private void replace(String table, String content) throws Exception {
        Path temporary = dir.resolve("." + table + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, dir.resolve(table), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String bigTable(long bytes) {
        StringBuilder table = new StringBuilder("a.example 10.0.0.9\n");
        for (int line = 0; table.length() < bytes; line++) {
            table.append(List.of("d", "*.w", "user@a").get(line % 3)).append(line).append(".example relay").append(line % 16).append(".example:2525\n");
        }
        return table.toString();
    }
}
