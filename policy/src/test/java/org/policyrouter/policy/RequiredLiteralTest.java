package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Optional;

import com.google.re2j.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequiredLiteralTest {
    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
        ".*spl-[0-9]{6}\\.foo.bar => spl-",
        "^sales@(eu|us)\\.example$ => .example",
        "(?i)@Example\\.COM => @example.com",
        "abc*d => ab",
        "abc+d => abc",
        "xy{0,2}z => x",
        "ab{2}cd => ab",
        "[^@]+@mail[0-9]+\\. => @mail",
        "a\\pLbcdef\\p{Greek}g => bcdef",
        "é-long-literal => -long-literal",
    })
    void findsTheLongestRequiredRun(String regex, String literal) {
        assertThat(RequiredLiteral.of(regex)).contains(literal);
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
        "foo|bar",
        ".*",
        "(foo)",
        "[abc]+",
        "\\Qfoo\\E",
        "\\x41bc",
        "a?",
    })
    void givesNoLiteralWhenNoneIsCertain(String regex) {
        assertThat(RequiredLiteral.of(regex)).isEmpty();
    }

    @Test
    void everyMatchOfARandomRegexContainsItsLiteral() {
        RandomPolicy random = new RandomPolicy(99L);
        int checked = 0;
        for (int i = 0; i < 20_000; i++) {
            String body = random.regexBody();
            Pattern pattern;
            try {
                pattern = SafeRegex.compile(body, body);
            } catch (IllegalArgumentException invalid) {
                continue;
            }
            Optional<String> literal = RequiredLiteral.of(body);
            for (int a = 0; a < 20 && literal.isPresent(); a++) {
                String address = random.address().toLowerCase(Locale.ROOT);
                boolean ascii = address.chars().allMatch(c -> c < 128);
                if (ascii && pattern.matcher(address).find()) {
                    assertThat(address).as("/%s/ matches", body).contains(literal.get());
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(1000);
    }
}
