package org.policyrouter.mailets;

import java.time.Duration;

import javax.mail.MessagingException;

import org.apache.mailet.base.GenericMailet;
import org.policyrouter.core.Durations;
import org.policyrouter.core.process.RunAs;
import org.policyrouter.core.process.UnixAccounts;
import org.policyrouter.policy.ByteSize;

/** Typed reading of mailet parameters that fails fast with the parameter's name. */
final class MailetParameters {
    private MailetParameters() {
    }

    /** {@link Durations}: {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, or a number alone in seconds. */
    static Duration duration(GenericMailet mailet, String name, Duration defaultValue) throws MessagingException {
        String text = mailet.getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": " + e.getMessage());
        }
    }

    /** A whole number of at least {@code minimum}. */
    static int number(GenericMailet mailet, String name, int defaultValue, int minimum) throws MessagingException {
        String text = mailet.getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= minimum) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": '" + text + "' is not a whole number of at least "
            + minimum);
    }

    /** {@code 16m}, {@code 512k}, {@code 1g} or plain bytes (binary units, as {@code -Xmx}). */
    static long size(GenericMailet mailet, String name, long defaultValue) throws MessagingException {
        String text = mailet.getInitParameter(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": " + e.getMessage());
        }
    }

    /**
     * The unprivileged user a program runs as, from {@code user=NAME[:GROUP]} (default
     * {@code defaultUser}): refused at init when unknown or root's (uid 0, gid 0).
     */
    static RunAs programUser(GenericMailet mailet, String name, String defaultUser) throws MessagingException {
        String user = mailet.getInitParameter(name, defaultUser).trim();
        try {
            return UnixAccounts.system().runAs(user);
        } catch (RuntimeException e) {
            throw new MessagingException(mailet.getMailetName() + ": parameter " + name + ": " + e.getMessage());
        }
    }
}
