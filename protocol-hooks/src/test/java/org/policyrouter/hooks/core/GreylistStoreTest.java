package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.hooks.core.GreylistStore.GreylistRecord;

class GreylistStoreTest {
    @TempDir
    Path directory;

    private final AtomicLong now = new AtomicLong(1_000_000);

    @Test
    void theEmbeddedStoreSurvivesARestart() {
        FileGreylistStore store = new FileGreylistStore(directory, 100, now::get);
        store.save("192.0.2.1", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000));
        store.save("192.0.2.2", new GreylistRecord(now.get(), 0, 3, now.get() + 10_000));
        store.delete("192.0.2.2");

        FileGreylistStore restarted = new FileGreylistStore(directory, 100, now::get);

        assertThat(restarted.find("192.0.2.1")).hasValueSatisfying(record -> assertThat(record.blocked()).isEqualTo(1));
        assertThat(restarted.find("192.0.2.2")).isEmpty();
    }

    @Test
    void expiredTripletsAreForgotten() {
        FileGreylistStore store = new FileGreylistStore(directory, 100, now::get);
        store.save("192.0.2.1", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000));

        now.addAndGet(10_001);

        assertThat(store.find("192.0.2.1")).isEmpty();
        assertThat(new FileGreylistStore(directory, 100, now::get).size()).isZero();
    }

    @Test
    void keepsAtMostMaxEntriesForgettingTheLeastRecentlyUsed() {
        FileGreylistStore store = new FileGreylistStore(directory, 2, now::get);
        store.save("a", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000));
        store.save("b", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000));
        store.find("a");
        store.save("c", new GreylistRecord(now.get(), 1, 0, now.get() + 10_000));

        assertThat(store.find("b")).isEmpty();
        assertThat(store.find("a")).isPresent();
        assertThat(store.find("c")).isPresent();
    }

    @Test
    void theJdbcStoreKeepsTripletsInATable() {
        try (JdbcGreylistStore store = new JdbcGreylistStore("jdbc:h2:mem:greylist;DB_CLOSE_DELAY=-1", "sa", "", "qpsmtpd_greylist",
            Duration.ofSeconds(2), now::get)) {
            store.save("192.0.2.1/a@b.example", new GreylistRecord(now.get(), 2, 0, now.get() + 10_000));
            store.save("192.0.2.1/a@b.example", new GreylistRecord(now.get(), 2, 1, now.get() + 10_000));

            assertThat(store.find("192.0.2.1/a@b.example")).hasValueSatisfying(record -> assertThat(record.passed()).isEqualTo(1));
            now.addAndGet(20_000);
            assertThat(store.find("192.0.2.1/a@b.example")).isEmpty();
        }
    }
}
