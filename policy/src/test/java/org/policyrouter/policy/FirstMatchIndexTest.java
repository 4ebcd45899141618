package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class FirstMatchIndexTest {
    /** A rule is its pattern and its position, so the test can tell equal patterns apart. */
    private static final class Rule {
        final AddressPattern pattern;
        final int position;

        Rule(AddressPattern pattern, int position) {
            this.pattern = pattern;
            this.position = position;
        }
    }

    private static Optional<Rule> linearScan(List<Rule> rules, String lowerAddress) {
        return rules.stream().filter(rule -> rule.pattern.matches(lowerAddress)).findFirst();
    }

    private static List<Rule> randomTable(RandomPolicy random, int size, double regexShare, boolean addresses) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            rules.add(new Rule(random.pattern(regexShare, addresses), i));
        }
        return rules;
    }

    @Test
    void givesTheFirstMatchOfALinearScanForRandomTablesAndAddresses() {
        RandomPolicy random = new RandomPolicy(20240611L);
        int lookups = 0;
        int regexWins = 0;
        for (int table = 0; table < 1500; table++) {
            double regexShare = table % 3 == 0 ? 0.5 : table % 3 == 1 ? 0.1 : 0.01;
            List<Rule> rules = randomTable(random, 1 + random.random().nextInt(80), regexShare, true);
            FirstMatchIndex<Rule> index = new FirstMatchIndex<>(rules, rule -> rule.pattern);
            for (int a = 0; a < 150; a++) {
                String address = random.address().toLowerCase(Locale.ROOT);
                Optional<Rule> expected = linearScan(rules, address);
                Optional<Rule> actual = index.first(address);
                assertThat(actual.map(rule -> rule.position))
                    .as("table %d, address '%s', rules %s", table, address, describe(rules))
                    .isEqualTo(expected.map(rule -> rule.position));
                lookups++;
                if (expected.isPresent() && expected.get().pattern.kind() == AddressPattern.Kind.REGEX) {
                    regexWins++;
                }
            }
        }
        // the test only proves something if regexes do win a fair share of the lookups
        assertThat(regexWins).isGreaterThan(lookups / 20);
    }

    @Test
    void givesTheFirstMatchForDomainOnlyTablesAsRewriteUsesThem() {
        RandomPolicy random = new RandomPolicy(7L);
        for (int table = 0; table < 500; table++) {
            List<Rule> rules = randomTable(random, 1 + random.random().nextInt(40), 0.2, false);
            FirstMatchIndex<Rule> index = new FirstMatchIndex<>(rules, rule -> rule.pattern);
            for (int a = 0; a < 100; a++) {
                String domain = random.domain(4);
                assertThat(index.first(domain).map(rule -> rule.position))
                    .as("domain '%s', rules %s", domain, describe(rules))
                    .isEqualTo(linearScan(rules, domain).map(rule -> rule.position));
            }
        }
    }

    @Test
    void prefersAnEarlierRegexOverALaterIndexedHitAndALaterRegexNever() {
        List<Rule> rules = List.of(
            new Rule(AddressPattern.parse("/^sales@/"), 0),
            new Rule(AddressPattern.parse("foo.bar"), 1),
            new Rule(AddressPattern.parse("/foo/"), 2));
        FirstMatchIndex<Rule> index = new FirstMatchIndex<>(rules, rule -> rule.pattern);

        assertThat(index.first("sales@foo.bar").orElseThrow().position).isEqualTo(0);
        assertThat(index.first("info@foo.bar").orElseThrow().position).isEqualTo(1);
        assertThat(index.first("info@x.foo").orElseThrow().position).isEqualTo(2);
        assertThat(index.first("info@x.example")).isEmpty();
    }

    @Test
    void matchesWildcardsAtAnyDepthButNotTheDomainItself() {
        List<Rule> rules = List.of(new Rule(AddressPattern.parse("*.foo.bar"), 0));
        FirstMatchIndex<Rule> index = new FirstMatchIndex<>(rules, rule -> rule.pattern);

        assertThat(index.first("u@a.foo.bar")).isPresent();
        assertThat(index.first("u@a.b.c.foo.bar")).isPresent();
        assertThat(index.first("u@foo.bar")).isEmpty();
        assertThat(index.first("u@xfoo.bar")).isEmpty();
    }

    private static String describe(List<Rule> rules) {
        StringBuilder b = new StringBuilder();
        rules.forEach(rule -> b.append('\n').append(rule.position).append(' ').append(rule.pattern));
        return b.toString();
    }
}
