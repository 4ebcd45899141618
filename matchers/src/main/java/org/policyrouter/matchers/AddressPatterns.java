package org.policyrouter.matchers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.policyrouter.policy.AddressPattern;

/** A matcher condition: white-space separated patterns of the policy language, any may match. */
final class AddressPatterns {
    private final List<AddressPattern> patterns;

    private AddressPatterns(List<AddressPattern> patterns) {
        this.patterns = patterns;
    }

    static AddressPatterns parse(String matcherName, String condition) throws MessagingException {
        if (condition == null || condition.isBlank()) {
            throw new MessagingException(matcherName + " needs a condition: domain, *.wildcard, /regex/ or user@domain patterns");
        }
        List<AddressPattern> patterns = new ArrayList<>();
        for (String text : condition.trim().split("\\s+")) {
            try {
                patterns.add(AddressPattern.parse(text));
            } catch (IllegalArgumentException e) {
                throw new MessagingException(matcherName + "=" + condition + ": " + e.getMessage());
            }
        }
        return new AddressPatterns(patterns);
    }

    boolean matches(MailAddress address) {
        String lower = address.asString().toLowerCase(Locale.ROOT);
        return patterns.stream().anyMatch(p -> p.matches(lower));
    }
}
