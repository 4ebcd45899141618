package org.policyrouter.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerBuilder;
import org.apache.james.JamesServerExtension;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.modules.protocols.SmtpGuiceProbe;
import org.apache.james.utils.GuiceProbe;
import org.apache.james.utils.WebAdminGuiceProbe;
import org.policyrouter.server.PolicyRouterServer;

import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;

/**
 * Boots the real bundled server in the test JVM: the Guice composition of
 * {@link PolicyRouterServer} and the {@code conf/} folder of the assembled distribution
 * (james-conf/target/james-policy-router), with only the listening ports changed to random ones.
 * A test class may replace or edit conf files (policy tables, handler chains) before the start.
 * One server per test class: register the extension as a static field.
 */
public final class PolicyRouterJames {
    private PolicyRouterJames() {
    }

    /** The assembled distribution folder, passed by Maven as a system property. */
    public static Path distribution() {
        Path dist = Paths.get(System.getProperty("policyrouter.dist", "../james-conf/target/james-policy-router"));
        if (!Files.isDirectory(dist.resolve("conf"))) {
            throw new IllegalStateException("no assembled distribution at " + dist.toAbsolutePath() + ": run the build from the repository root");
        }
        return dist.toAbsolutePath().normalize();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static int smtpPort(GuiceJamesServer server) {
        return server.getProbe(SmtpGuiceProbe.class).getSmtpPort().getValue();
    }

    /** The folder the server runs from: conf/ and var/ (the WebAdmin key pair in var/webadmin/). */
    public static Path home(GuiceJamesServer server) {
        return server.getProbe(ServerHomeProbe.class).home();
    }

    public static int webAdminPort(GuiceJamesServer server) {
        return server.getProbe(WebAdminGuiceProbe.class).getWebAdminPort().getValue();
    }

    /** Only the listening ports differ from what users get: tests must not collide with each other. */
    static String randomPorts(String confFile, String content) {
        switch (confFile) {
            case "smtpserver.xml":
                return content.replace("<bind>127.0.0.1:2525</bind>", "<bind>127.0.0.1:0</bind>");
            case "webadmin.properties":
                return content.replaceAll("(?m)^port=8000$", "port=0");
            default:
                return content;
        }
    }

    public static final class Builder {
        private final Map<String, String> files = new LinkedHashMap<>();
        private final Map<String, List<UnaryOperator<String>>> edits = new LinkedHashMap<>();
        private final List<Module> overrides = new ArrayList<>();
        private volatile Path conf;

        /** Writes (or replaces) {@code conf/<path>}, e.g. {@code policy/transport}. */
        public Builder withFile(String confRelativePath, String content) {
            files.put(confRelativePath, content);
            return this;
        }

        /** Edits the shipped {@code conf/<path>}, e.g. to add a handler to smtpserver.xml. */
        public Builder editConf(String confRelativePath, UnaryOperator<String> edit) {
            edits.computeIfAbsent(confRelativePath, k -> new ArrayList<>()).add(edit);
            return this;
        }

        /** A Guice override for things a test must control (e.g. an in-memory DNS). */
        public Builder overrideModule(Module module) {
            overrides.add(module);
            return this;
        }

        public JamesServerExtension build() {
            JamesServerBuilder<MemoryJamesConfiguration> builder = new JamesServerBuilder<MemoryJamesConfiguration>(this::prepare)
                .server(PolicyRouterServer::createServer)
                .lifeCycle(JamesServerExtension.Lifecycle.PER_CLASS)
                .overrideServerModule(binder -> Multibinder.newSetBinder(binder, GuiceProbe.class).addBinding().to(ServerHomeProbe.class));
            overrides.forEach(builder::overrideServerModule);
            return builder.build();
        }

        /** The running server's conf/ folder, for tests that edit files while it runs. */
        public Path confDirectory() {
            if (conf == null) {
                throw new IllegalStateException("the server has not been prepared yet");
            }
            return conf;
        }

        private MemoryJamesConfiguration prepare(java.io.File workingDirectory) {
            Path conf = workingDirectory.toPath().resolve("conf");
            this.conf = conf;
            try {
                copyTree(distribution().resolve("conf"), conf);
                for (Map.Entry<String, String> file : files.entrySet()) {
                    Path target = conf.resolve(file.getKey());
                    Files.createDirectories(target.getParent());
                    Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
                }
                for (Map.Entry<String, List<UnaryOperator<String>>> edit : edits.entrySet()) {
                    Path target = conf.resolve(edit.getKey());
                    String content = Files.readString(target, StandardCharsets.UTF_8);
                    for (UnaryOperator<String> operator : edit.getValue()) {
                        String edited = operator.apply(content);
                        if (edited.equals(content)) {
                            throw new IllegalStateException("edit of conf/" + edit.getKey() + " changed nothing: the shipped file changed?");
                        }
                        content = edited;
                    }
                    Files.writeString(target, content, StandardCharsets.UTF_8);
                }
                for (String name : List.of("smtpserver.xml", "webadmin.properties")) {
                    Path target = conf.resolve(name);
                    Files.writeString(target, randomPorts(name, Files.readString(target)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return MemoryJamesConfiguration.builder().workingDirectory(workingDirectory).build();
        }
    }

    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
