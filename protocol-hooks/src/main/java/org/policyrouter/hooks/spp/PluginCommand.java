package org.policyrouter.hooks.spp;

import java.util.Optional;

import com.google.re2j.Pattern;

/** One command line a plugin printed on stdout (qmail-spp README §7). */
public final class PluginCommand {
    public enum Kind {
        /** A: accept, plugins off for the rest of the session. */
        ACCEPT(true),
        /** N: accept this command, skip the remaining plugins. */
        NEXT(true),
        /** O: like N, and skip the server's own later checks of MAIL/RCPT. */
        OK(true),
        /** E: reject this command now with the plugin's reply. */
        ERROR(true),
        /** R: send the reply, then drop the connection. */
        REJECT(true),
        /** D: drop the connection without a word. */
        DROP(true),
        /** LM, LR, LD: reject the next MAIL, RCPT or DATA (and every later one until RSET). */
        LATER(false),
        /** S: set an environment variable for later plugins. */
        SET(false),
        /** U: unset one. */
        UNSET(false),
        /** H: add a header to the message. */
        HEADER(false),
        /** C: change the address of the current MAIL or RCPT. */
        CHANGE(false),
        /** P: print a line to the client. */
        PRINT(false);

        private final boolean terminating;

        Kind(boolean terminating) {
            this.terminating = terminating;
        }

        /** qmail-spp stops reading the plugin's output after these. */
        public boolean isTerminating() {
            return terminating;
        }
    }

    /** RFC 5322 field name (printable ASCII but the colon), the colon, a value without control characters but tab. */
    private static final Pattern HEADER = Pattern.compile("[\\x21-\\x39\\x3b-\\x7e]+:[^\\x00-\\x08\\x0a-\\x1f\\x7f]*");
    private static final Pattern VARIABLE = Pattern.compile("[^=\\x00]+");

    private final Kind kind;
    private final Section laterSection;
    private final ReplyLine reply;
    private final String name;
    private final String value;

    private PluginCommand(Kind kind, Section laterSection, ReplyLine reply, String name, String value) {
        this.kind = kind;
        this.laterSection = laterSection;
        this.reply = reply;
        this.name = name;
        this.value = value;
    }

    private static PluginCommand of(Kind kind) {
        return new PluginCommand(kind, null, null, null, null);
    }

    /**
     * Reads one line (without its newline). A malformed line gives empty with the reason in
     * {@code problem}; the caller logs it and goes on, as the issue asks ("logged and ignored").
     */
    public static Optional<PluginCommand> parse(String line, StringBuilder problem) {
        String argument = line.substring(1);
        switch (line.charAt(0)) {
            case 'A':
                return Optional.of(of(Kind.ACCEPT));
            case 'N':
                return Optional.of(of(Kind.NEXT));
            case 'O':
                return Optional.of(of(Kind.OK));
            case 'D':
                return Optional.of(of(Kind.DROP));
            case 'E':
                return failureReply(argument, problem).map(reply -> new PluginCommand(Kind.ERROR, null, reply, null, null));
            case 'R':
                return failureReply(argument, problem).map(reply -> new PluginCommand(Kind.REJECT, null, reply, null, null));
            case 'P':
                return reply(argument, problem).map(reply -> new PluginCommand(Kind.PRINT, null, reply, null, null));
            case 'L':
                return later(argument, problem);
            case 'S':
                return set(argument, problem);
            case 'U':
                if (!VARIABLE.matches(argument)) {
                    problem.append("U needs a variable name");
                    return Optional.empty();
                }
                return Optional.of(new PluginCommand(Kind.UNSET, null, null, argument, null));
            case 'H':
                if (!HEADER.matches(argument)) {
                    problem.append("H needs 'Name: value' on one line");
                    return Optional.empty();
                }
                return Optional.of(new PluginCommand(Kind.HEADER, null, null, null, argument));
            case 'C':
                return Optional.of(new PluginCommand(Kind.CHANGE, null, null, null, withoutBrackets(argument)));
            default:
                problem.append("unknown command");
                return Optional.empty();
        }
    }

    private static Optional<ReplyLine> reply(String text, StringBuilder problem) {
        Optional<ReplyLine> reply = ReplyLine.parse(text);
        if (reply.isEmpty()) {
            problem.append("the message must start with an SMTP reply code (none is added)");
        }
        return reply;
    }

    private static Optional<ReplyLine> failureReply(String text, StringBuilder problem) {
        Optional<ReplyLine> reply = reply(text, problem);
        if (reply.isPresent() && !reply.get().isFailure()) {
            problem.append("a rejection needs a 4xx or 5xx code");
            return Optional.empty();
        }
        return reply;
    }

    private static Optional<PluginCommand> later(String argument, StringBuilder problem) {
        Section section;
        switch (argument.isEmpty() ? ' ' : argument.charAt(0)) {
            case 'M':
                section = Section.MAIL;
                break;
            case 'R':
                section = Section.RCPT;
                break;
            case 'D':
                section = Section.DATA;
                break;
            default:
                problem.append("L must be followed by M, R or D");
                return Optional.empty();
        }
        return failureReply(argument.substring(1), problem).map(reply -> new PluginCommand(Kind.LATER, section, reply, null, null));
    }

    private static Optional<PluginCommand> set(String argument, StringBuilder problem) {
        int equals = argument.indexOf('=');
        if (equals <= 0 || argument.indexOf('\0') >= 0) {
            problem.append("S needs var=value");
            return Optional.empty();
        }
        return Optional.of(new PluginCommand(Kind.SET, null, null, argument.substring(0, equals), argument.substring(equals + 1)));
    }

    /** qmail-spp copies the argument as is; a plugin writing {@code C<a@b>} clearly means a@b. */
    private static String withoutBrackets(String address) {
        String trimmed = address.strip();
        if (trimmed.length() >= 2 && trimmed.startsWith("<") && trimmed.endsWith(">")) {
            return trimmed.substring(1, trimmed.length() - 1);
        }
        return trimmed;
    }

    public Kind kind() {
        return kind;
    }

    /** For LATER: the command whose next occurrence is rejected. */
    public Section laterSection() {
        return laterSection;
    }

    /** For ERROR, REJECT, LATER and PRINT. */
    public ReplyLine reply() {
        return reply;
    }

    /** For SET and UNSET. */
    public String variable() {
        return name;
    }

    /** For SET (the value), HEADER (the whole header line) and CHANGE (the address). */
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return kind + (reply != null ? " " + reply : "") + (name != null ? " " + name : "") + (value != null ? " " + value : "");
    }
}
