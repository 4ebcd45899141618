package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the plugins of one command decided, for the James adapter to carry out. */
public final class PluginVerdict {
    public enum Kind {
        /** No objection (no plugin, N, A, or all plugins ran without a terminating command). */
        PROCEED,
        /** O at MAIL/RCPT: accept and skip the server's own later checks (relay control included). */
        SKIP_LATER_CHECKS,
        /** E, a queued L error, or a plugin failure (451): reject this command with the reply. */
        REJECT,
        /** R: the reply, then the connection is dropped. */
        REJECT_AND_DROP,
        /** D: the connection is dropped without a reply. */
        DROP
    }

    private final Kind kind;
    private final List<ReplyLine> reply;
    private final List<ReplyLine> printed;
    private final Optional<String> changedAddress;

    private PluginVerdict(Kind kind, List<ReplyLine> reply, List<ReplyLine> printed, Optional<String> changedAddress) {
        this.kind = kind;
        this.reply = List.copyOf(reply);
        this.printed = List.copyOf(printed);
        this.changedAddress = changedAddress;
    }

    public static PluginVerdict proceed() {
        return new PluginVerdict(Kind.PROCEED, List.of(), List.of(), Optional.empty());
    }

    public static PluginVerdict reject(List<ReplyLine> reply) {
        return new PluginVerdict(Kind.REJECT, reply, List.of(), Optional.empty());
    }

    static PluginVerdict of(Kind kind, List<ReplyLine> reply, List<ReplyLine> printed, Optional<String> changedAddress) {
        return new PluginVerdict(kind, reply, printed, changedAddress);
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The reply lines as sent: all but the last as continuation lines. Several queued L errors
     * become one multi-line reply where qmail-spp would send several replies for one command.
     */
    public List<String> replyLines() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < reply.size(); i++) {
            lines.add(i < reply.size() - 1 ? reply.get(i).asContinuation() : reply.get(i).asFinal());
        }
        return lines;
    }

    /** The last reply line, whose code is the reply's. */
    public Optional<ReplyLine> finalReply() {
        return reply.isEmpty() ? Optional.empty() : Optional.of(reply.get(reply.size() - 1));
    }

    /** Lines printed by P, in order, to send before the reply. */
    public List<ReplyLine> printed() {
        return printed;
    }

    /** The address set by C (MAIL and RCPT only); empty string for the null sender. */
    public Optional<String> changedAddress() {
        return changedAddress;
    }

    @Override
    public String toString() {
        return kind + (reply.isEmpty() ? "" : " " + replyLines()) + (printed.isEmpty() ? "" : " printed " + printed)
            + changedAddress.map(address -> " address <" + address + ">").orElse("");
    }
}
