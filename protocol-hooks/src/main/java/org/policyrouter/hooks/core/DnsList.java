package org.policyrouter.hooks.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One DNS list zone (dnsbl_zones, rhsbl_zones, whitelist_zones) with the operator's optional
 * message, and the lookup of a name in it: listed when it has an A record (RFC 5782); the
 * reason is the operator's message if there is one, else the zone's TXT record.
 */
public final class DnsList {
    private final String zone;
    private final String message;

    public DnsList(String zone, String message) {
        this.zone = zone.toLowerCase(Locale.ROOT).replaceAll("^\\.+|\\.+$", "");
        this.message = message == null || message.isBlank() ? null : message.strip();
    }

    /** {@code zone} or {@code zone<separator>message} per line, as each qpsmtpd plugin writes it. */
    public static List<DnsList> parse(List<ControlLine> lines, String separatorRegex) {
        List<DnsList> zones = new ArrayList<>();
        for (ControlLine line : lines) {
            String[] parts = line.text().split(separatorRegex, 2);
            if (parts[0].isBlank() || parts[0].contains(" ")) {
                throw new ControlFileException(line, "not a DNS zone");
            }
            zones.add(new DnsList(parts[0].strip(), parts.length > 1 ? parts[1] : null));
        }
        return List.copyOf(zones);
    }

    public String zone() {
        return zone;
    }

    public Optional<String> message() {
        return Optional.ofNullable(message);
    }

    /** Starts the lookup of {@code key} (a reversed IP or a domain) in this zone. */
    public Lookup lookup(Dns dns, String key) {
        String name = key + "." + zone;
        CompletableFuture<DnsAnswer> listed = dns.query(name, Dns.Type.A);
        CompletableFuture<DnsAnswer> reason = message == null ? dns.query(name, Dns.Type.TXT) : null;
        return new Lookup(this, listed, reason);
    }

    /** A lookup in flight; {@link #await(Deadline)} gives its result within the deadline. */
    public static final class Lookup {
        private final DnsList list;
        private final CompletableFuture<DnsAnswer> listed;
        private final CompletableFuture<DnsAnswer> reason;

        Lookup(DnsList list, CompletableFuture<DnsAnswer> listed, CompletableFuture<DnsAnswer> reason) {
            this.list = list;
            this.listed = listed;
            this.reason = reason;
        }

        /** The result as soon as DNS has answered; never later than the DNS timeout. */
        public CompletableFuture<Result> result() {
            return listed.thenCompose(answer -> {
                if (!answer.isFound()) {
                    Result.Kind kind = answer.isTemporaryFailure() ? Result.Kind.FAILED : Result.Kind.NOT_LISTED;
                    return CompletableFuture.completedFuture(new Result(list, kind, null));
                }
                if (reason == null) {
                    return CompletableFuture.completedFuture(new Result(list, Result.Kind.LISTED, list.message));
                }
                return reason.thenApply(txt -> new Result(list, Result.Kind.LISTED,
                    txt.isFound() ? String.join(" ", txt.records()) : null));
            });
        }

        public Result await(Deadline deadline) {
            return deadline.await(result()).orElse(new Result(list, Result.Kind.FAILED, null));
        }
    }

    /** Listed (with the reason, if any), not listed, or unknown because DNS failed. */
    public static final class Result {
        public enum Kind { LISTED, NOT_LISTED, FAILED }

        private final DnsList list;
        private final Kind kind;
        private final String reason;

        Result(DnsList list, Kind kind, String reason) {
            this.list = list;
            this.kind = kind;
            this.reason = reason;
        }

        public Kind kind() {
            return kind;
        }

        public String zone() {
            return list.zone;
        }

        public Optional<String> reason() {
            return Optional.ofNullable(reason);
        }
    }
}
