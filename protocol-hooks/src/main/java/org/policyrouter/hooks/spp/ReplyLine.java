package org.policyrouter.hooks.spp;

import java.util.Optional;

import com.google.re2j.Pattern;

/**
 * An SMTP reply line written by a plugin. qmail-spp adds no code ("valid SMTP response codes are
 * not added automatically"), so the plugin's text must start with one: a line without a code, or
 * with bytes a reply may not carry, would desynchronise the client and is refused instead.
 */
public final class ReplyLine {
    private static final Pattern LINE = Pattern.compile("([2-5][0-9][0-9])(?:([ -])([\\x20-\\x7e\\t]*))?");

    private final String code;
    private final char separator;
    private final String text;

    private ReplyLine(String code, char separator, String text) {
        this.code = code;
        this.separator = separator;
        this.text = text;
    }

    public static Optional<ReplyLine> parse(String line) {
        com.google.re2j.Matcher matcher = LINE.matcher(line);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        String separator = matcher.group(2);
        return Optional.of(new ReplyLine(matcher.group(1), separator == null ? ' ' : separator.charAt(0),
            separator == null ? "" : matcher.group(3)));
    }

    /** A plugin's own temporary failure, as qmail-spp words it. */
    public static ReplyLine failure(String plugin, String reason) {
        return new ReplyLine("451", ' ', "qmail-spp failure: " + plugin + ": " + reason + " (#4.3.0)");
    }

    public String code() {
        return code;
    }

    /** The text after the code and its separator. */
    public String text() {
        return text;
    }

    /** A rejection (E, L, R) must look like one to the client: 4xx or 5xx. */
    public boolean isFailure() {
        return code.charAt(0) == '4' || code.charAt(0) == '5';
    }

    /** The line as the plugin wrote it (P lines keep their own separator). */
    public String asWritten() {
        return separator == '-' ? asContinuation() : asFinal();
    }

    public String asFinal() {
        return text.isEmpty() ? code : code + " " + text;
    }

    public String asContinuation() {
        return code + "-" + text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReplyLine && ((ReplyLine) o).asWritten().equals(asWritten());
    }

    @Override
    public int hashCode() {
        return asWritten().hashCode();
    }

    @Override
    public String toString() {
        return asWritten();
    }
}
