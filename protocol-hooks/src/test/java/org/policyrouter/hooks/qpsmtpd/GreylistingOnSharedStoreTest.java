package org.policyrouter.hooks.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.FakeConnection;
import org.policyrouter.hooks.core.ReturnCode;
import org.policyrouter.hooks.core.Verdict;

/**
 * Greylisting's periods on a shared engine (the inherited tests, with the same answers as on the
 * embedded store), and its failure policies when that engine is frozen with SIGSTOP.
 */
abstract class GreylistingOnSharedStoreTest extends GreylistingTest {
    /** This test's tables or keys: the server is shared by the class, the triplets are not. */
    private final String prefix = "g" + UUID.randomUUID().toString().replace("-", "");

    abstract List<String> engineOptions();

    abstract void freeze() throws Exception;

    abstract void thaw() throws Exception;

    @Override
    String[] storeOptions() {
        List<String> options = new ArrayList<>(engineOptions());
        options.addAll(List.of("store_prefix", prefix));
        return options.toArray(new String[0]);
    }

    private Greylisting withFailurePolicy(String policy) {
        List<String> options = new ArrayList<>(Arrays.asList(storeOptions()));
        options.addAll(List.of("store_timeout", "300ms", "store_failure", policy));
        return CheckFixtures.configured(new Greylisting(), config, options.toArray(new String[0]));
    }

    @Test
    void aFrozenStoreAnswersPerTheFailurePolicyWithinTheTimeout() throws Exception {
        Greylisting tempfail = withFailurePolicy("tempfail");
        Greylisting accept = withFailurePolicy("accept");
        freeze();
        try {
            long start = System.nanoTime();
            Verdict deferred = tempfail.checkMail(FakeConnection.from("192.0.2.50"), EnvelopeAddress.parse("a@client.example"));
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            Verdict accepted = accept.checkMail(FakeConnection.from("192.0.2.51"), EnvelopeAddress.parse("a@client.example"));

            assertThat(deferred.code()).isEqualTo(ReturnCode.DENYSOFT);
            assertThat(deferred.message()).contains("Temporarily unable to check, try again later");
            assertThat(deferred.statusDetail()).contains("3.0");
            assertThat(waited).isLessThan(Duration.ofMillis(300 + 700));
            assertThat(accepted).as("not greylisted while the store is down").isEqualTo(Verdict.DECLINED);
        } finally {
            thaw();
            tempfail.release();
            accept.release();
        }
    }

    @Test
    void aTripletFoundWhiteIsNotAskedForAgainWithinAMinute() throws Exception {
        Greylisting tempfail = withFailurePolicy("tempfail");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis());
        tempfail.useClock(now::get);
        FakeConnection client = FakeConnection.from("192.0.2.52");
        EnvelopeAddress sender = EnvelopeAddress.parse("a@client.example");
        assertThat(tempfail.checkMail(client, sender).code()).isEqualTo(ReturnCode.DENYSOFT);
        now.addAndGet(Duration.ofMinutes(51).toMillis());
        assertThat(tempfail.checkMail(client, sender)).as("white").isEqualTo(Verdict.DECLINED);
        freeze();
        try {
            now.addAndGet(Duration.ofSeconds(59).toMillis());
            assertThat(tempfail.checkMail(client, sender)).as("remembered: the frozen store is not asked").isEqualTo(Verdict.DECLINED);
            now.addAndGet(Duration.ofSeconds(2).toMillis());
            assertThat(tempfail.checkMail(client, sender).message()).as("a minute later it is")
                .contains("Temporarily unable to check, try again later");
        } finally {
            thaw();
            tempfail.release();
        }
    }
}
