package org.policyrouter.hooks.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.convert.DisabledListDelimiterHandler;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.io.FileHandler;
import org.apache.commons.configuration2.tree.ImmutableNode;

/**
 * The {@code <handler>} elements of {@code smtpserver.xml} as James hands them to a handler's
 * {@code init} (commons-configuration, no list splitting at commas), for
 * {@code policy-router check}, which configures our handlers from them without starting James.
 */
public final class SmtpServerConfiguration {
    private SmtpServerConfiguration() {
    }

    /** One {@code <handler>} of one {@code <smtpserver>}'s chain. */
    public static final class Handler {
        private final String className;
        private final HierarchicalConfiguration<ImmutableNode> configuration;

        Handler(String className, HierarchicalConfiguration<ImmutableNode> configuration) {
            this.className = className;
            this.configuration = configuration;
        }

        public String className() {
            return className;
        }

        public HierarchicalConfiguration<ImmutableNode> configuration() {
            return configuration;
        }

        /** The class, if it loads and is a {@code type}; not initialised. */
        public <T> Optional<Class<? extends T>> classOf(Class<T> type) {
            try {
                Class<?> loaded = Class.forName(className, false, type.getClassLoader());
                return type.isAssignableFrom(loaded) ? Optional.of(loaded.asSubclass(type)) : Optional.empty();
            } catch (ClassNotFoundException | LinkageError e) {
                // the XML check of policy-router check names a class that does not load
                return Optional.empty();
            }
        }
    }

    /**
     * The handlers of {@code conf/smtpserver.xml} for a configuration check; empty when the file is
     * missing or unreadable, which the XML check of {@code policy-router check} reports itself.
     */
    public static Optional<List<Handler>> inConf(Path conf) {
        Path smtpServer = conf.resolve("smtpserver.xml");
        if (!Files.isRegularFile(smtpServer)) {
            return Optional.empty();
        }
        try {
            return Optional.of(handlers(smtpServer));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Every handler of every SMTP server of the file, in file order. */
    public static List<Handler> handlers(Path smtpServerXml) throws IOException {
        XMLConfiguration xml = new XMLConfiguration();
        xml.setListDelimiterHandler(DisabledListDelimiterHandler.INSTANCE);
        try {
            new FileHandler(xml).load(smtpServerXml.toFile());
        } catch (ConfigurationException e) {
            throw new IOException(smtpServerXml + ": " + e.getMessage(), e);
        }
        List<Handler> handlers = new ArrayList<>();
        for (HierarchicalConfiguration<ImmutableNode> server : xml.configurationsAt("smtpserver")) {
            for (HierarchicalConfiguration<ImmutableNode> handler : server.configurationsAt("handlerchain.handler")) {
                String className = handler.getString("[@class]", "").strip();
                if (!className.isEmpty()) {
                    handlers.add(new Handler(className, handler));
                }
            }
        }
        return handlers;
    }

    /**
     * A location as James's FileSystem resolves it in the server's working directory {@code home}:
     * {@code file://conf/x} and a plain relative path from {@code home}, {@code file:///x} and
     * {@code /x} as they are.
     *
     * @throws IllegalArgumentException for another scheme ({@code classpath:}), which a check cannot read
     */
    public static Path resolve(Path home, String location) {
        String path = location.strip();
        if (path.startsWith("file://")) {
            path = path.substring("file://".length());
        } else if (path.contains(":")) {
            throw new IllegalArgumentException("cannot check " + location + ": only file:// locations and paths are read");
        }
        return home.resolve(path).normalize();
    }
}
