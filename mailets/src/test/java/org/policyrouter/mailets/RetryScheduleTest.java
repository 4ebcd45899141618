package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    static final Duration FIVE_MINUTES = Duration.ofMinutes(5);
    static final Duration SIXTY_SEVEN_MINUTES = Duration.ofMinutes(67);
    static final RetrySchedule POSTFIX_LIKE = RetrySchedule.ageBased(FIVE_MINUTES, SIXTY_SEVEN_MINUTES, 0.10);

    @Test
    void waitsAsLongAsTheMailHasBeenQueuedLikePostfix() {
        assertThat(POSTFIX_LIKE.nextDelay(3, Duration.ofMinutes(20), () -> 0.5)).isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void waitsAtLeastTheMinimalBackoffAfterTheFirstFailure() {
        assertThat(POSTFIX_LIKE.nextDelay(1, Duration.ofSeconds(2), () -> 0.5)).isEqualTo(FIVE_MINUTES);
    }

    @Test
    void neverWaitsLongerThanTheMaximalBackoff() {
        assertThat(POSTFIX_LIKE.nextDelay(40, Duration.ofDays(3), () -> 0.5)).isEqualTo(SIXTY_SEVEN_MINUTES);
    }

    @Test
    void spreadsRetriesByAtMostTenPercentEitherWay() {
        Random random = new Random(42);
        for (int i = 0; i < 1000; i++) {
            Duration delay = POSTFIX_LIKE.nextDelay(2, Duration.ofMinutes(10), random::nextDouble);
            assertThat(delay).isBetween(Duration.ofMinutes(9), Duration.ofMinutes(11));
        }
        assertThat(POSTFIX_LIKE.nextDelay(2, Duration.ofMinutes(10), () -> 0.0)).isEqualTo(Duration.ofMinutes(9));
        assertThat(POSTFIX_LIKE.nextDelay(2, Duration.ofMinutes(10), () -> 0.999999)).isBetween(Duration.ofSeconds(659), Duration.ofMinutes(11));
    }

    @Test
    void followsAnExplicitListAndRepeatsItsLastInterval() {
        RetrySchedule schedule = RetrySchedule.explicit(RetrySchedule.parseIntervals("1m, 5m*2, 1h*3", RetryScheduleTest::minutesOrHours), 0);

        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 50)).extracting(failures -> schedule.nextDelay(failures, Duration.ZERO, () -> 0.5))
            .containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));
    }

    @Test
    void rejectsABadScheduleWithTheOffendingItem() {
        assertThatThrownBy(() -> RetrySchedule.parseIntervals("1m, 5m*x", RetryScheduleTest::minutesOrHours)).hasMessageContaining("5m*x");
        assertThatThrownBy(() -> RetrySchedule.parseIntervals("1m,,2m", RetryScheduleTest::minutesOrHours)).hasMessageContaining("empty item");
        assertThatThrownBy(() -> RetrySchedule.ageBased(Duration.ofHours(2), Duration.ofHours(1), 0.1)).hasMessageContaining("below minimal");
    }

    static Duration minutesOrHours(String text) {
        if (text.endsWith("h")) {
            return Duration.ofHours(Long.parseLong(text.substring(0, text.length() - 1)));
        }
        return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
    }
}
