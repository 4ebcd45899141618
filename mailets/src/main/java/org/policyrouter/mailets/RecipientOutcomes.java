package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import org.apache.james.core.MailAddress;

/**
 * The outcome of each recipient of one delivery attempt, in the mail's order. Keyed by the exact
 * address ({@link MailAddress#asString()}: local part as written, domain lower-cased):
 * {@code MailAddress.equals} ignores the case of the local part, so a {@code Map<MailAddress, …>}
 * merged {@code case@x} and {@code CASE@x}, two recipients for RFC 5321 (2.4: local parts are
 * case-sensitive), and one of them vanished without a log line or a report.
 */
final class RecipientOutcomes {
    private final Map<String, MailAddress> recipients = new LinkedHashMap<>();
    private final Map<String, RecipientOutcome> outcomes = new LinkedHashMap<>();

    static RecipientOutcomes of(Collection<MailAddress> recipients, RecipientOutcome outcome) {
        RecipientOutcomes all = new RecipientOutcomes();
        recipients.forEach(recipient -> all.put(recipient, outcome));
        return all;
    }

    /** Sets (or replaces) the outcome of exactly this address. */
    RecipientOutcomes put(MailAddress recipient, RecipientOutcome outcome) {
        String key = recipient.asString();
        recipients.putIfAbsent(key, recipient);
        outcomes.put(key, outcome);
        return this;
    }

    RecipientOutcomes putAll(RecipientOutcomes other) {
        other.forEach(this::put);
        return this;
    }

    /** The outcome of exactly this address (case-sensitive local part), or null. */
    RecipientOutcome get(MailAddress recipient) {
        return outcomes.get(recipient.asString());
    }

    boolean contains(MailAddress recipient) {
        return outcomes.containsKey(recipient.asString());
    }

    boolean isEmpty() {
        return outcomes.isEmpty();
    }

    int size() {
        return outcomes.size();
    }

    List<MailAddress> recipients() {
        return new ArrayList<>(recipients.values());
    }

    void forEach(BiConsumer<MailAddress, RecipientOutcome> action) {
        recipients.forEach((key, recipient) -> action.accept(recipient, outcomes.get(key)));
    }

    @Override
    public String toString() {
        return outcomes.toString();
    }
}
