package org.policyrouter.hooks.spp;

import java.util.Arrays;
import java.util.Optional;

/** The sections of an smtpplugins file: one per SMTP command qmail-spp can extend, plus the connection. */
public enum Section {
    CONNECTION("connection"),
    HELO("helo"),
    MAIL("mail"),
    RCPT("rcpt"),
    DATA("data"),
    AUTH("auth");

    private final String sectionName;

    Section(String sectionName) {
        this.sectionName = sectionName;
    }

    public String sectionName() {
        return sectionName;
    }

    public static Optional<Section> named(String name) {
        return Arrays.stream(values()).filter(section -> section.sectionName.equals(name)).findFirst();
    }

    /** The section whose plugins run for an SMTP command verb (EHLO shares HELO's), if any. */
    public static Optional<Section> forCommand(String verb) {
        switch (verb) {
            case "HELO":
            case "EHLO":
                return Optional.of(HELO);
            case "MAIL":
                return Optional.of(MAIL);
            case "RCPT":
                return Optional.of(RCPT);
            case "DATA":
                return Optional.of(DATA);
            case "AUTH":
                return Optional.of(AUTH);
            default:
                return Optional.empty();
        }
    }

    /** qmail-spp's C command changes the address of MAIL and RCPT only (it has no address elsewhere). */
    public boolean hasAddress() {
        return this == MAIL || this == RCPT;
    }

    /** O skips qmail's own checks only at MAIL and RCPT; elsewhere it means N. */
    public boolean canSkipLaterChecks() {
        return hasAddress();
    }
}
