package org.policyrouter.mailets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which failed parts of a message one report covers (CollectFailures' memory, no James in it).
 * The parts of a message that fail within one window make one event: each part is {@link #add
 * added} when it fails and {@link #claim claimed} when its wait is over; the first claim of an
 * event takes every part added so far (it sends the report for them all), the later claims learn
 * that their part was reported. A part this memory does not know (a restart came between) is
 * reported on its own: memory lost means a report too many, never one too few.
 */
final class FailureGatherer {
    /** One failed part: a copy of the message, its recipients and their replies. */
    static final class Part {
        final String name;
        final List<String> recipients;
        final Map<String, String> replies;

        Part(String name, List<String> recipients, Map<String, String> replies) {
            this.name = name;
            this.recipients = List.copyOf(recipients);
            this.replies = Map.copyOf(replies);
        }
    }

    /** The answer to a claim. */
    static final class Claim {
        /** Set when another part's report already covered this one. */
        final String reportedBy;
        /** The other parts this one reports for (empty when alone or already reported). */
        final List<Part> others;

        private Claim(String reportedBy, List<Part> others) {
            this.reportedBy = reportedBy;
            this.others = others;
        }

        boolean alreadyReported() {
            return reportedBy != null;
        }
    }

    private static final class Event {
        final Map<String, Part> parts = new LinkedHashMap<>();
        final long openedAt;
        String reportedBy;
        long closedAt;

        Event(long openedAt) {
            this.openedAt = openedAt;
        }

        /** Past this, a part of the event still to come reports for itself (or was deleted by an operator). */
        boolean isOlderThan(long limit) {
            return (reportedBy != null ? closedAt : openedAt) < limit;
        }
    }

    /**
     * How long an event is remembered, for parts whose wait ends late (a busy queue); an event
     * whose parts never come back (deleted from the queue) is forgotten then too.
     */
    private final long retentionMillis;
    private final Map<String, List<Event>> byMessage = new HashMap<>();

    FailureGatherer(Duration window) {
        this.retentionMillis = Math.max(Duration.ofHours(1).toMillis(), window.toMillis() * 100);
    }

    /** A part of {@code message} failed: it joins the event still open, or opens one. */
    synchronized void add(String message, Part part, long now) {
        forget(now);
        List<Event> events = byMessage.computeIfAbsent(message, m -> new ArrayList<>());
        Event open = events.stream().filter(event -> event.reportedBy == null).findFirst().orElse(null);
        if (open == null) {
            open = new Event(now);
            events.add(open);
        }
        open.parts.put(part.name, part);
    }

    /** The wait of {@code part} is over: report for its whole event, or not at all if that is done. */
    synchronized Claim claim(String message, String part, long now) {
        for (Event event : byMessage.getOrDefault(message, List.of())) {
            if (!event.parts.containsKey(part)) {
                continue;
            }
            if (event.reportedBy != null) {
                return new Claim(event.reportedBy, List.of());
            }
            event.reportedBy = part;
            event.closedAt = now;
            List<Part> others = new ArrayList<>(event.parts.values());
            others.removeIf(other -> other.name.equals(part));
            return new Claim(null, others);
        }
        return new Claim(null, List.of());
    }

    private void forget(long now) {
        for (Iterator<List<Event>> messages = byMessage.values().iterator(); messages.hasNext();) {
            List<Event> events = messages.next();
            events.removeIf(event -> event.isOlderThan(now - retentionMillis));
            if (events.isEmpty()) {
                messages.remove();
            }
        }
    }

    /** For tests: events remembered. */
    synchronized int size() {
        return byMessage.values().stream().mapToInt(List::size).sum();
    }
}
