package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class GroupCommitTest {
    @Test
    void oneSyncServesEveryCallerThatRegisteredBeforeItStarted() throws Exception {
        AtomicInteger syncs = new AtomicInteger();
        AtomicLong changes = new AtomicLong();
        AtomicLong durable = new AtomicLong();
        GroupCommit commit = new GroupCommit(() -> {
            long upTo = changes.get();
            syncs.incrementAndGet();
            sleep(20);
            durable.accumulateAndGet(upTo, Math::max);
        }, true);
        int callers = 20;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                results.add(threads.submit(() -> {
                    start.await();
                    long mine;
                    long ticket;
                    synchronized (changes) {
                        mine = changes.incrementAndGet();
                        ticket = commit.register();
                    }
                    commit.await(ticket);
                    return durable.get() >= mine;
                }));
            }
            start.countDown();
            for (Future<Boolean> result : results) {
                assertThat(result.get()).as("returned only once its change was synced").isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(syncs.get()).isLessThan(callers / 2);
    }

    @Test
    void afterAFailedSyncNothingMoreIsAcknowledged() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        GroupCommit commit = new GroupCommit(() -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IOException("disk on fire");
            }
        }, true);

        assertThatThrownBy(commit::awaitDurable).hasMessage("disk on fire");
        // a second fsync would report success although the first write-back was lost
        assertThatThrownBy(commit::awaitDurable).hasMessageContaining("an earlier fsync failed").hasMessageContaining("disk on fire");

        assertThat(attempts.get()).isEqualTo(1);
    }

    @Test
    void doesNotSyncWhenDisabled() throws Exception {
        AtomicInteger syncs = new AtomicInteger();
        GroupCommit commit = new GroupCommit(syncs::incrementAndGet, false);

        commit.awaitDurable();

        assertThat(syncs.get()).isZero();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
