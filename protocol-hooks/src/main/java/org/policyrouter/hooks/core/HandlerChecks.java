package org.policyrouter.hooks.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.policyrouter.core.check.CheckReport;

/**
 * What the configuration checks of {@code policy-router check} share: read
 * {@code conf/smtpserver.xml}, give each handler of one kind to the check, and gather its
 * errors, warnings and OK lines into one report (skipped when no such handler is listed).
 */
public final class HandlerChecks {
    /** Checks one handler element, adding to the findings. */
    public interface PerHandler {
        void check(Path smtpServer, Path home, SmtpServerConfiguration.Handler handler, Findings findings);
    }

    /** Errors and warnings in the order found, without repeats; the OK lines of what passed. */
    public static final class Findings {
        public final Set<String> errors = new LinkedHashSet<>();
        public final Set<String> warnings = new LinkedHashSet<>();
        public final List<String> summaries = new ArrayList<>();
    }

    private HandlerChecks() {
    }

    /** @param kind the handlers to check: those whose class is, or extends, this one */
    public static CheckReport run(Path conf, Class<?> kind, PerHandler perHandler) {
        Optional<List<SmtpServerConfiguration.Handler>> handlers = SmtpServerConfiguration.inConf(conf);
        if (handlers.isEmpty()) {
            return CheckReport.skipped();
        }
        Path smtpServer = conf.resolve("smtpserver.xml");
        Path home = conf.toAbsolutePath().normalize().getParent();
        Findings findings = new Findings();
        for (SmtpServerConfiguration.Handler handler : handlers.get()) {
            if (handler.classOf(kind).isPresent()) {
                perHandler.check(smtpServer, home, handler, findings);
            }
        }
        if (findings.summaries.isEmpty() && findings.errors.isEmpty()) {
            return CheckReport.skipped();
        }
        return CheckReport.of(List.copyOf(findings.errors), List.copyOf(findings.warnings), String.join("\n", findings.summaries));
    }
}
