package org.policyrouter.hooks.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** badmailfrom/badrcptto: patterns, each with an optional reason after white space; first match wins. */
public final class AddressList {
    private final List<Entry> entries;

    private AddressList(List<Entry> entries) {
        this.entries = entries;
    }

    public static AddressList parse(List<ControlLine> lines) {
        List<Entry> entries = new ArrayList<>();
        for (ControlLine line : lines) {
            String[] words = line.text().split("\\s+", 2);
            entries.add(new Entry(BadAddressPattern.parse(words[0], line), words.length > 1 ? words[1].strip() : null));
        }
        return new AddressList(List.copyOf(entries));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public Optional<Entry> firstMatch(EnvelopeAddress address) {
        return entries.stream().filter(entry -> entry.pattern.matches(address)).findFirst();
    }

    /** A listed pattern and the reason the operator wrote after it, if any. */
    public static final class Entry {
        private final BadAddressPattern pattern;
        private final String reason;

        Entry(BadAddressPattern pattern, String reason) {
            this.pattern = pattern;
            this.reason = reason;
        }

        public BadAddressPattern pattern() {
            return pattern;
        }

        public Optional<String> reason() {
            return Optional.ofNullable(reason);
        }
    }
}
