package org.policyrouter.core.check;

import java.nio.file.Path;

/**
 * One part of {@code policy-router check}: validates configuration files an operator edits, the
 * way the server reads them, without starting James.
 *
 * <p>Why a {@link java.util.ServiceLoader} interface, here: the command lives in {@code policy},
 * which must not depend on {@code protocol-hooks} (James's SMTP API), while the parsers of the
 * qpsmtpd control files and of smtpplugins live in {@code protocol-hooks} and must be the ones
 * the check uses (one parser per file). Implementations are listed in
 * {@code META-INF/services/org.policyrouter.core.check.ConfigurationCheck} of their module; the
 * extension jar merges those files, and {@code bin/policy-router} runs with James's libraries and
 * that jar, so every check is found at run time. The interface sits in the JDK-only core that
 * both modules already share, so no new dependency between feature modules is needed.
 */
public interface ConfigurationCheck {
    /**
     * @param conf the configuration folder ({@code conf/} of the distribution, the parent of
     *             {@code conf/policy}); relative paths in it are taken from its parent, James's
     *             working directory
     * @return the problems found; a check with nothing to read (its file absent) returns
     *         {@link CheckReport#skipped()}
     */
    CheckReport check(Path conf);
}
