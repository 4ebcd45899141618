package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/** qpsmtpd's documented greylisting periods: black 50 min, grey 3 h 20 min, white 36 days, on the embedded store (and, in subclasses, on the shared ones). */
class GreylistingTest {
    @TempDir
    Path config;

    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private Greylisting greylisting;

    /** The embedded store here; the tests of the shared engines name theirs. */
    String[] storeOptions() {
        return new String[] {"db_dir", config.resolve("db").toString()};
    }

    @AfterEach
    void release() {
        greylisting.release();
    }

    @BeforeEach
    void configure() {
        greylisting = CheckFixtures.configured(new Greylisting(), config, storeOptions());
        greylisting.useClock(now::get);
    }

    private Verdict mailFrom(String client) {
        return greylisting.checkMail(FakeConnection.from(client), EnvelopeAddress.parse("a@client.example"));
    }

    private void after(Duration duration) {
        now.addAndGet(duration.toMillis());
    }

    @Test
    void defersAnUnknownClientThroughTheBlackPeriod() {
        assertThat(mailFrom("192.0.2.1").code()).isEqualTo(ReturnCode.DENYSOFT);
        after(Duration.ofMinutes(49));
        assertThat(mailFrom("192.0.2.1").code()).isEqualTo(ReturnCode.DENYSOFT);
        assertThat(mailFrom("192.0.2.1").message()).contains("This mail is temporarily denied");
    }

    @Test
    void acceptsAClientThatComesBackInTheGreyPeriodAndKeepsItWhite() {
        mailFrom("192.0.2.1");
        after(Duration.ofMinutes(51));
        assertThat(mailFrom("192.0.2.1")).isEqualTo(Verdict.DECLINED);
        after(Duration.ofDays(30));
        assertThat(mailFrom("192.0.2.1")).isEqualTo(Verdict.DECLINED);
        after(Duration.ofDays(30));
        assertThat(mailFrom("192.0.2.1")).as("each delivery renews the white period").isEqualTo(Verdict.DECLINED);
    }

    @Test
    void aClientThatComesBackTooLateStartsOver() {
        mailFrom("192.0.2.1");
        after(Duration.ofHours(4));
        assertThat(mailFrom("192.0.2.1").code()).isEqualTo(ReturnCode.DENYSOFT);
    }

    @Test
    void aWhiteClientSilentForLongerThanTheWhitePeriodStartsOver() {
        mailFrom("192.0.2.1");
        after(Duration.ofMinutes(51));
        mailFrom("192.0.2.1");
        after(Duration.ofDays(37));
        assertThat(mailFrom("192.0.2.1").code()).isEqualTo(ReturnCode.DENYSOFT);
    }

    @Test
    void relayClientsAreNeverGreylisted() {
        assertThat(greylisting.checkMail(FakeConnection.from("192.0.2.9").relayClient(), EnvelopeAddress.parse("a@client.example")))
            .isEqualTo(Verdict.DECLINED);
    }
}
