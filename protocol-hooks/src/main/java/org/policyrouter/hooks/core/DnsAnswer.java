package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.List;

/**
 * The answer to one DNS question: found records (addresses as text, TXT strings joined, MX
 * exchanges by preference with "." for a null MX, PTR names without the final dot), or why not.
 */
public final class DnsAnswer {
    public enum Status {
        FOUND,
        /** The name does not exist. */
        NXDOMAIN,
        /** The name exists, without records of this type. */
        NODATA,
        /** SERVFAIL, REFUSED, a broken answer: try again later. */
        FAILED,
        /** No answer within the timeout. */
        TIMEOUT
    }

    private final Status status;
    private final List<String> records;
    private final Duration ttl;

    private DnsAnswer(Status status, List<String> records, Duration ttl) {
        this.status = status;
        this.records = List.copyOf(records);
        this.ttl = ttl;
    }

    public static DnsAnswer found(List<String> records, Duration ttl) {
        return records.isEmpty() ? new DnsAnswer(Status.NODATA, List.of(), ttl) : new DnsAnswer(Status.FOUND, records, ttl);
    }

    public static DnsAnswer of(Status status, Duration ttl) {
        return new DnsAnswer(status, List.of(), ttl);
    }

    public static DnsAnswer timeout() {
        return of(Status.TIMEOUT, Duration.ZERO);
    }

    public static DnsAnswer failed() {
        return of(Status.FAILED, Duration.ZERO);
    }

    public Status status() {
        return status;
    }

    public List<String> records() {
        return records;
    }

    public boolean isFound() {
        return status == Status.FOUND;
    }

    /** NXDOMAIN or NODATA: a definite "no". */
    public boolean isNegative() {
        return status == Status.NXDOMAIN || status == Status.NODATA;
    }

    /** SERVFAIL or timeout: we do not know. */
    public boolean isTemporaryFailure() {
        return status == Status.FAILED || status == Status.TIMEOUT;
    }

    /** How long the answer may be reused; zero for failures. */
    public Duration ttl() {
        return ttl;
    }

    @Override
    public String toString() {
        return status + (records.isEmpty() ? "" : " " + records);
    }
}
