package org.policyrouter.hooks.qpsmtpd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.ControlFiles;
import org.policyrouter.hooks.core.Options;

/** Checks configured for unit tests: control files in a directory, no DNS, no local domains. */
final class CheckFixtures {
    private CheckFixtures() {
    }

    static <T extends org.policyrouter.hooks.core.QpsmtpdHandler> T configured(T check, Path config, String... arguments) {
        check.configure(new CheckEnvironment(Options.fromPluginArguments(List.of(arguments), "test"),
            new ControlFiles(config, Optional.empty(), Duration.ZERO), () -> null, domain -> false, Path::of));
        return check;
    }
}
