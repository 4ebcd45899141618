package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code rewrite} table: {@code from|to|both old-domain new-domain}. The first line that
 * applies to the address's role (sender or recipient) and matches its domain replaces the domain;
 * later lines are not applied on top. Old domains are matched like transport destinations, but
 * against the domain only: a regex is searched in the domain.
 */
public final class RewriteTable {
    public static final RewriteTable EMPTY = new RewriteTable(List.of());

    private final List<RewriteRule> rules;
    private final FirstMatchIndex<RewriteRule> senderRules;
    private final FirstMatchIndex<RewriteRule> recipientRules;

    public RewriteTable(List<RewriteRule> rules) {
        this.rules = List.copyOf(rules);
        List<RewriteRule> sender = new ArrayList<>();
        List<RewriteRule> recipient = new ArrayList<>();
        for (RewriteRule rule : this.rules) {
            if (rule.direction().appliesToSender()) {
                sender.add(rule);
            }
            if (rule.direction().appliesToRecipient()) {
                recipient.add(rule);
            }
        }
        this.senderRules = new FirstMatchIndex<>(sender, RewriteRule::oldDomain);
        this.recipientRules = new FirstMatchIndex<>(recipient, RewriteRule::oldDomain);
    }

    static RewriteTable parse(PolicyFile file, PolicyErrors errors) {
        List<RewriteRule> rules = new ArrayList<>();
        Map<String, Integer> senderLines = new HashMap<>();
        Map<String, Integer> recipientLines = new HashMap<>();
        file.parseEach(errors, line -> {
            if (line.fields().size() != 3) {
                throw new IllegalArgumentException("expected 'direction old-domain new-domain' (direction: from, to or both)");
            }
            RewriteDirection direction = RewriteDirection.parse(line.fields().get(0));
            AddressPattern old = AddressPattern.parse(line.fields().get(1));
            if (old.kind() == AddressPattern.Kind.ADDRESS) {
                throw new IllegalArgumentException("old value '" + old + "' must be a domain, *.wildcard or /regex/, not an address");
            }
            String newDomain = line.fields().get(2);
            if (!AddressPattern.isDomain(newDomain)) {
                throw new IllegalArgumentException("new value '" + newDomain + "' must be a domain");
            }
            Integer senderFirst = direction.appliesToSender() ? senderLines.get(old.identity()) : null;
            Integer recipientFirst = direction.appliesToRecipient() ? recipientLines.get(old.identity()) : null;
            boolean senderDead = !direction.appliesToSender() || senderFirst != null;
            boolean recipientDead = !direction.appliesToRecipient() || recipientFirst != null;
            if (senderDead && recipientDead) {
                int first = senderFirst != null ? senderFirst : recipientFirst;
                errors.warn(file.name(), line.number(), "duplicate rewrite of '" + old + "': line " + first
                    + " already rewrites it, so this line is never used");
                return;
            }
            if (direction.appliesToSender()) {
                senderLines.putIfAbsent(old.identity(), line.number());
            }
            if (direction.appliesToRecipient()) {
                recipientLines.putIfAbsent(old.identity(), line.number());
            }
            rules.add(new RewriteRule(direction, old, newDomain, file.name(), line.number()));
        });
        return new RewriteTable(rules);
    }

    /** The envelope sender (or a From: address) after rewriting; the null sender and bare names stay. */
    public String rewriteSender(String address) {
        return senderRule(address).map(rule -> rule.apply(address)).orElse(address);
    }

    /** A recipient (or a To:/Cc: address) after rewriting. */
    public String rewriteRecipient(String address) {
        return recipientRule(address).map(rule -> rule.apply(address)).orElse(address);
    }

    public Optional<RewriteRule> senderRule(String address) {
        return ruleFor(senderRules, address);
    }

    public Optional<RewriteRule> recipientRule(String address) {
        return ruleFor(recipientRules, address);
    }

    private static Optional<RewriteRule> ruleFor(FirstMatchIndex<RewriteRule> index, String address) {
        int at = address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            return Optional.empty();
        }
        return index.first(address.substring(at + 1).toLowerCase(Locale.ROOT));
    }

    public List<RewriteRule> rules() {
        return rules;
    }
}
