package org.policyrouter.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class DurationsTest {
    @Test
    void bareNumbersAreSeconds() {
        assertThat(Durations.parse("300")).isEqualTo(Duration.ofSeconds(300));
        assertThat(Durations.parse(" 5 ")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    }

    @Test
    void decimalNumbersAreSecondsToo() {
        assertThat(Durations.parse("0.5")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("1.25")).isEqualTo(Duration.ofMillis(1250));
    }

    @Test
    void unitsAreJamessDurationParserOnes() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("30 seconds")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("5min")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("2 HOURS")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("5d")).isEqualTo(Duration.ofDays(5));
        assertThat(Durations.parse("1w")).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void refusesWhatIsNotADuration() {
        for (String bad : new String[] {"", "soon", "5 fortnights", "-5s", "1.5s", "PT5S", "5s5", "99999999999"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + bad + "\" is not a duration such as 30s");
        }
    }

    @Test
    void errorNamesWhereTheValueCameFrom() {
        assertThatThrownBy(() -> Durations.parse("5 fortnights", "mailet deliver-pipe: parameter timeout"))
            .hasMessageStartingWith("mailet deliver-pipe: parameter timeout: \"5 fortnights\" is not");
    }
}
