package org.policyrouter.server;

import java.net.BindException;
import java.util.ArrayList;
import java.util.List;

import org.policyrouter.policy.PolicyFileException;
import org.policyrouter.spool.SpoolLockedException;

/** Turns a start-up exception chain into the one line an operator needs. */
final class StartupFailure {
    private StartupFailure() {
    }

    static String explain(Throwable failure) {
        List<Throwable> chain = causes(failure);
        for (Throwable t : chain) {
            if (t instanceof BindException) {
                return "a port is already in use (" + t.getMessage() + "). Is another james-policy-router or mail server running? "
                    + "Stop it, or change <bind> in conf/smtpserver.xml and port in conf/webadmin.properties.";
            }
        }
        for (Throwable t : chain) {
            if (t instanceof SpoolLockedException) {
                return t.getMessage();
            }
        }
        for (Throwable t : chain) {
            if (t instanceof PolicyFileException) {
                // one line: several errors are separated by "; ", each still file:line: message
                return "invalid policy table: " + String.join("; ", t.getMessage().strip().split("\\R+"));
            }
        }
        Throwable root = chain.get(chain.size() - 1);
        return (root.getClass().getSimpleName() + ": " + root.getMessage()).replaceAll("\\R+", "; ");
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
            if (t instanceof com.google.inject.ProvisionException) {
                ((com.google.inject.ProvisionException) t).getErrorMessages().forEach(m -> {
                    if (m.getCause() != null) {
                        chain.add(m.getCause());
                    }
                });
            }
        }
        return chain;
    }
}
