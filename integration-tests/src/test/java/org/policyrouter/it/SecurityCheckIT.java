package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 parts 2 and 3 on the bundled server run as operators run it (bin/james-policy-router, a
 * process: its umask is the launcher's): every file and directory under var/ is owner-only once mail
 * sits in James's own file repositories (var/mail/error as a stock James's error processor writes
 * it, var/mail/address-error), in the spool's archive and queue, the logs and the WebAdmin key pair;
 * and scripts/security-check.sh passes against it, its pipe probe included.
 * <p>
 * The pipe probe needs pipes to run without root: until the privilege drop for pipes (branch priv)
 * is merged, a pipe started by a server running as root runs as root and that test fails.
 */
class SecurityCheckIT {
    static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    /** A stock James 3.8.1's error processor: its mails in James's FileMailRepository at var/mail/error. */
    static final String STOCK_ERROR_PROCESSOR = "        <processor state=\"stock-error\" enableJmx=\"false\">\n"
        + "            <mailet match=\"All\" class=\"ToRepository\">\n"
        + "                <repositoryPath>file://var/mail/error/</repositoryPath>\n"
        + "            </mailet>\n"
        + "        </processor>\n";

    @TempDir
    static Path tmp;

    static Path home;
    /** Where the probe pipe writes its uid: a folder any user may write, as a pipe run as nobody must. */
    static Path probe;
    static int smtpPort;
    static JamesProcess james;

    @BeforeAll
    static void startWithMailEverywhere() throws Exception {
        smtpPort = JamesProcess.freePort();
        int webAdminPort = JamesProcess.freePort();
        home = JamesProcess.installDistribution(tmp.resolve("server"), smtpPort, webAdminPort);
        probe = Files.createTempDirectory(Path.of("/tmp"), "security-probe");
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(home.resolve("conf/policy/transport"), String.join("\n",
            "probe.example |/bin/sh -c \"id -u > " + probe.resolve("uid") + "\"",
            "stock-error.example queue/stock-error",
            "address-error.example queue/local-address-error",
            "refused.example error:5.1.1 no such user here",
            ""));
        JamesProcess.replaceIn(home.resolve("conf/mailetcontainer.xml"), "    </processors>", STOCK_ERROR_PROCESSOR + "    </processors>");
        james = JamesProcess.start(home, List.of(home.resolve("bin/james-policy-router").toString()));
        james.awaitBanner(smtpPort, Duration.ofSeconds(120));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> JamesProcess.isListening(webAdminPort));

        for (String recipient : List.of("someone@stock-error.example", "someone@address-error.example", "someone@refused.example")) {
            swaks(recipient);
        }
        // refused mail: CollectFailures waits 10 s, then the (null-sender: no report) archive
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() ->
            regularFiles("var/mail/error") > 0 && regularFiles("var/mail/address-error") > 0 && regularFiles("var/spool/archive") > 0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        if (probe != null) {
            try (Stream<Path> files = Files.walk(probe)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void everyFileAndDirectoryUnderVarIsOwnerOnly() throws Exception {
        List<String> listing = new ArrayList<>();
        List<String> open = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(home.resolve("var"))) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
                String line = PosixFilePermissions.toString(mode) + " " + home.relativize(path);
                listing.add(line);
                if (mode.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                    open.add(line);
                }
            }
        }
        String all = String.join("\n", listing);
        assertThat(listing).as(all).anyMatch(line -> line.startsWith("rw------- var/mail/error/"))
            .anyMatch(line -> line.startsWith("rw------- var/mail/address-error/"))
            .anyMatch(line -> line.startsWith("rw------- var/spool/archive/"))
            .contains("rw------- var/webadmin/jwt-private.pem", "rw------- var/log/james.log", "rwx------ var",
                "rwx------ var/mail/error", "rwx------ var/webadmin");
        assertThat(open).as("open to group or others, of:\n" + all).isEmpty();
    }

    @Test
    void theSecurityCheckPasses() throws Exception {
        Path script = PolicyRouterJames.distribution().resolve("../../../scripts/security-check.sh").normalize();
        Process check = new ProcessBuilder(script.toString(), "--home", home.toString(),
            "--pipe-probe", "probe@probe.example", probe.resolve("uid").toString())
            .redirectErrorStream(true).start();
        String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(120, TimeUnit.SECONDS)).isTrue();

        List<String> checks = output.lines().filter(line -> !line.startsWith("  ")).collect(Collectors.toList());
        assertThat(checks).as(output).anyMatch(line -> line.startsWith("PASS sockets: ") && line.contains("WebAdmin on"))
            .anyMatch(line -> line.equals("PASS webadmin /domains: 401 without a token and with an unsigned one"))
            .anyMatch(line -> line.equals("PASS webadmin /spool/queues/spool/messages: 401 without a token and with an unsigned one"))
            .anyMatch(line -> line.equals("PASS webadmin /metrics: 401 without a token and with an unsigned one"))
            .anyMatch(line -> line.startsWith("PASS var/: ") && line.endsWith("none open to group or others"))
            .anyMatch(line -> line.startsWith("PASS pipe probe: the pipe for probe@probe.example ran as uid "));
        assertThat(checks).as(output).filteredOn(line -> line.startsWith("PASS webadmin ")).hasSize(8);
        assertThat(checks).as(output).allMatch(line -> line.startsWith("PASS "));
        assertThat(check.exitValue()).as(output).isZero();
    }

    static void swaks(String recipient) throws Exception {
        Process swaks = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + smtpPort, "--from", "<>", "--to", recipient,
            "--header", "Subject: private files").redirectErrorStream(true).start();
        String transcript = new String(swaks.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(swaks.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(swaks.exitValue()).as(transcript).isZero();
    }

    static long regularFiles(String directory) throws IOException {
        Path folder = home.resolve(directory);
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
