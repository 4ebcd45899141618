package org.policyrouter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Dockerfile's entry point and the systemd unit of the distribution (docs/packaging.md).
 * There is no Docker daemon on the build machine, so bin/docker-entrypoint is run as the image
 * runs it, from a copy of the distribution with an empty conf/ and the defaults beside it; the
 * image itself is built only where {@code docker info} works.
 */
class PackagingIT {
    /** A loopback address other than 127.0.0.1: a server bound to 127.0.0.1 refuses it, one on 0.0.0.0 answers. */
    static final String OTHER_ADDRESS = "127.0.0.2";

    @TempDir
    Path tmp;

    @Test
    void theEntrypointFillsAnEmptyConfListensOnAllAddressesAndAnswersSmtpAndTheHealthcheck() throws Exception {
        Path home = imageLayout(tmp.resolve("image"));
        int smtpPort = JamesProcess.freePort();
        int webAdminPort = JamesProcess.freePort();

        try (JamesProcess james = JamesProcess.start(home, List.of(home.resolve("bin/docker-entrypoint").toString()), Map.of(
                "SMTP_BIND", "0.0.0.0:" + smtpPort, "WEBADMIN_HOST", "0.0.0.0", "WEBADMIN_PORT", String.valueOf(webAdminPort)))) {
            assertThat(james.awaitBanner(smtpPort, Duration.ofSeconds(90))).startsWith("220 ");

            assertThat(james.output()).contains("docker-entrypoint: conf/ was empty: filled from " + home.resolve("conf.default"),
                "docker-entrypoint: SMTP listens on 0.0.0.0:" + smtpPort);
            assertThat(Files.readString(home.resolve("conf/smtpserver.xml"))).contains("<bind>0.0.0.0:" + smtpPort + "</bind>")
                .doesNotContain("127.0.0.1:2525");
            assertThat(Files.readAllLines(home.resolve("conf/webadmin.properties"))).contains("host=0.0.0.0", "port=" + webAdminPort)
                .doesNotContain("host=127.0.0.1", "port=8000");
            assertThat(Files.readString(home.resolve("conf/mailetcontainer.xml")))
                .isEqualTo(Files.readString(home.resolve("conf.default/mailetcontainer.xml")));

            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(OTHER_ADDRESS, smtpPort), 5000);
                socket.setSoTimeout(30_000);
                String greeting = new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII);
                assertThat(greeting).isEqualTo("220 ");
            }
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + OTHER_ADDRESS + ":" + webAdminPort + "/healthcheck")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"healthy\"");
        }
    }

    @Test
    void theEntrypointLeavesAConfWithFilesAloneWhenTheVariablesAreEmpty() throws Exception {
        Path home = imageLayout(tmp.resolve("kept"));
        int smtpPort = JamesProcess.freePort();
        PolicyRouterJames.copyTree(home.resolve("conf.default"), home.resolve("conf"));
        JamesProcess.replaceIn(home.resolve("conf/smtpserver.xml"), "<bind>127.0.0.1:2525</bind>", "<bind>127.0.0.1:" + smtpPort + "</bind>");
        JamesProcess.replaceIn(home.resolve("conf/webadmin.properties"), "port=8000", "port=" + JamesProcess.freePort());

        try (JamesProcess james = JamesProcess.start(home, List.of(home.resolve("bin/docker-entrypoint").toString()), Map.of(
                "SMTP_BIND", "", "WEBADMIN_HOST", ""))) {
            assertThat(james.awaitBanner(smtpPort, Duration.ofSeconds(90))).startsWith("220 ");
            assertThat(james.output()).doesNotContain("docker-entrypoint:");
            assertThat(Files.readString(home.resolve("conf/smtpserver.xml"))).contains("<bind>127.0.0.1:" + smtpPort + "</bind>");
        }
    }

    @Test
    void theEntrypointRefusesAnAddressThatWouldEditTheConfBeyondTheBind() throws Exception {
        Path home = imageLayout(tmp.resolve("refused"));
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/docker-entrypoint").toString()).redirectErrorStream(true);
        builder.environment().put("SMTP_BIND", "0.0.0.0:25</bind><x>");
        Process refused = builder.start();
        String output = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(refused.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(refused.exitValue()).as(output).isEqualTo(2);
        assertThat(output).contains("docker-entrypoint: SMTP_BIND='0.0.0.0:25</bind><x>': only letters, digits and . : , [ ] _ - are allowed");
        assertThat(Files.readString(home.resolve("conf/smtpserver.xml"))).contains("<bind>127.0.0.1:2525</bind>");
    }

    @Test
    void theSystemdUnitPassesSystemdAnalyzeVerify() throws Exception {
        Path home = JamesProcess.installDistribution(tmp.resolve("opt"), 2525, 8000);
        Files.createDirectories(home.resolve("var"));
        String unit = Files.readString(PolicyRouterJames.distribution().resolve("systemd/james-policy-router.service"));
        assertThat(unit).contains("ExecStart=/opt/james-policy-router/bin/james-policy-router", "WorkingDirectory=/opt/james-policy-router",
            "ReadWritePaths=/opt/james-policy-router/var", "NoNewPrivileges=true", "ProtectSystem=strict", "Restart=on-failure");
        Path units = Files.createDirectories(tmp.resolve("units"));
        Files.writeString(units.resolve("james-policy-router.service"), unit.replace("/opt/james-policy-router", home.toString()));

        ProcessBuilder builder = new ProcessBuilder("systemd-analyze", "verify", units.resolve("james-policy-router.service").toString())
            .redirectErrorStream(true);
        Process verify;
        try {
            verify = builder.start();
        } catch (IOException noSystemdAnalyze) {
            assumeTrue(false, "systemd-analyze is not installed: " + noSystemdAnalyze.getMessage());
            return;
        }
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();

        // an unknown key or a bad value is only a warning (exit 0): the output must be empty too
        assertThat(verify.exitValue()).as(output).isZero();
        assertThat(output).isEmpty();
    }

    @Test
    void theImageAnswersSmtpWhereDockerRuns() throws Exception {
        assumeTrue(run(Duration.ofSeconds(30), "docker", "info") == 0,
            "no Docker daemon (docker info fails): the image is not built here; bin/docker-entrypoint is tested without it");
        Path repository = PolicyRouterJames.distribution().resolve("../../..").normalize();
        String image = "james-policy-router-it:" + ProcessHandle.current().pid();
        String container = "james-policy-router-it-" + ProcessHandle.current().pid();
        int smtpPort = JamesProcess.freePort();
        assertThat(run(Duration.ofMinutes(10), "docker", "build", "-t", image, repository.toString())).isZero();
        try {
            assertThat(run(Duration.ofMinutes(2), "docker", "run", "-d", "--name", container, "-p", "127.0.0.1:" + smtpPort + ":2525", image)).isZero();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
            String banner = null;
            while (banner == null && Instant.now().isBefore(deadline)) {
                try (SmtpConversation smtp = SmtpConversation.open(smtpPort, Duration.ofSeconds(5))) {
                    banner = smtp.readReply();
                } catch (IOException notYet) {
                    Thread.sleep(500);
                }
            }
            assertThat(banner).startsWith("220 ");
        } finally {
            run(Duration.ofMinutes(1), "docker", "rm", "-f", container);
            run(Duration.ofMinutes(1), "docker", "rmi", "-f", image);
        }
    }

    /** The distribution as the Dockerfile lays it out: conf.default/ beside an empty conf/ (a fresh volume). */
    static Path imageLayout(Path target) throws IOException {
        Path home = JamesProcess.installDistribution(target, 2525, 8000);
        PolicyRouterJames.copyTree(PolicyRouterJames.distribution().resolve("conf"), home.resolve("conf.default"));
        try (Stream<Path> paths = Files.walk(home.resolve("conf"))) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                if (!path.equals(home.resolve("conf"))) {
                    Files.delete(path);
                }
            }
        }
        return home;
    }

    static int run(Duration timeout, String... command) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException notInstalled) {
            return -1;
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
