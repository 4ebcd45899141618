package org.policyrouter.hooks.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.policyrouter.hooks.state.StateStoreContract.answer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The single-node store: the contract every engine passes, and the journal that carries triplets over a restart. */
class EmbeddedStateStoreTest implements StateStoreContract {
    private static Path contractDirectory;
    private static EmbeddedStateStore contractStore;

    @BeforeAll
    static void open() throws Exception {
        contractDirectory = Files.createTempDirectory("embedded-state");
        contractStore = new EmbeddedStateStore(contractDirectory, 100_000, System::currentTimeMillis);
    }

    @AfterAll
    static void close() {
        contractStore.close();
    }

    @Override
    public StateStore store() {
        return contractStore;
    }

    @Nested
    class Journal {
        @TempDir
        Path directory;

        private final AtomicLong now = new AtomicLong(1_000_000);

        @Test
        void tripletsSurviveARestart() {
            EmbeddedStateStore store = new EmbeddedStateStore(directory, 100, now::get);
            answer(store.saveTriplet("192.0.2.1", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000)));
            store.close();

            EmbeddedStateStore restarted = new EmbeddedStateStore(directory, 100, now::get);

            assertThat(answer(restarted.findTriplet("192.0.2.1"))).hasValueSatisfying(record -> assertThat(record.blocked()).isEqualTo(1));
            restarted.close();
        }

        @Test
        void expiredTripletsAreNotReplayed() {
            EmbeddedStateStore store = new EmbeddedStateStore(directory, 100, now::get);
            answer(store.saveTriplet("192.0.2.1", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000)));
            store.close();

            now.addAndGet(10_001);

            assertThat(answer(new EmbeddedStateStore(directory, 100, now::get).findTriplet("192.0.2.1"))).isEmpty();
        }

        @Test
        void keepsAtMostMaxEntriesForgettingTheLeastRecentlyUsed() {
            EmbeddedStateStore store = new EmbeddedStateStore(directory, 2, now::get);
            answer(store.saveTriplet("a", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000)));
            answer(store.saveTriplet("b", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000)));
            answer(store.findTriplet("a"));
            answer(store.saveTriplet("c", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000)));

            assertThat(answer(store.findTriplet("b"))).isEmpty();
            assertThat(answer(store.findTriplet("a"))).isPresent();
            assertThat(answer(store.findTriplet("c"))).isPresent();
        }

        @Test
        void aStoreUsedOnlyForLimitsWritesNoFile() {
            EmbeddedStateStore store = new EmbeddedStateStore(directory.resolve("limits"), 100, now::get);
            answer(store.addToWindow("rcpt/192.0.2.1", 1, Duration.ofMinutes(1)));
            answer(store.openSlot("192.0.2.1", "a", Duration.ofMinutes(1)));
            store.close();

            assertThat(directory.resolve("limits")).doesNotExist();
        }

        @Test
        void windowsFollowTheStoresClock() {
            EmbeddedStateStore store = new EmbeddedStateStore(directory, 100, now::get);
            Duration minute = Duration.ofMinutes(1);
            now.set(60_000 * 10);
            assertThat(answer(store.addToWindow("k", 5, minute))).isEqualTo(5);
            now.addAndGet(59_999);
            assertThat(answer(store.addToWindow("k", 1, minute))).isEqualTo(6);
            now.addAndGet(1);
            assertThat(answer(store.addToWindow("k", 1, minute))).as("a new window").isEqualTo(1);
        }
    }
}
