package org.policyrouter.it.qpsmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.policyrouter.hooks.core.Dns;
import org.policyrouter.hooks.core.DnsAnswer;
import org.policyrouter.hooks.core.NettyDnsResolver;

/**
 * The checks' direct DNS client (Netty's resolver) under concurrency, against a real server (dnsmasq) and one that
 * never answers: 200 lookups in flight, a fifth of them to the silent server. The hand-written
 * client this replaced existed because dnsjava's asynchronous one lost answers under concurrent
 * queries and found them a second later (an SMTP I/O thread stalled each time): every answer
 * must arrive, and quickly, whatever the silent server does. The figures go to the log
 * (docs/smtp-checks.md, "DNS", quotes a run).
 */
class DnsUnderLoadIT {
    static final int NAMES = 160;
    static final int SILENT_LOOKUPS = 40;
    static final int ROUNDS = 10;
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    static final Dnsmasq DNS = Dnsmasq.start(List.of("load.test"), hostRecords());
    static final SilentDnsServer SILENT = SilentDnsServer.start();

    private static String[] hostRecords() {
        String[] records = new String[NAMES];
        for (int i = 0; i < NAMES; i++) {
            records[i] = "host-record=h" + i + ".load.test,10.0." + (i / 200) + "." + (i % 200 + 1);
        }
        return records;
    }

    @AfterAll
    static void stop() {
        DNS.close();
        SILENT.close();
    }

    @Test
    void nettysResolverAnswersEveryLookupPromptlyWhileAServerIsSilent() throws Exception {
        Figures figures = measure(NettyDnsResolver::new);
        System.out.println("DNS under load, Netty resolver: " + figures);

        assertThat(figures.lost).as("answers lost").isZero();
        assertThat(figures.answeredMillis.get(figures.answeredMillis.size() - 1)).as("slowest answer, ms: a stall (a lost answer found later) costs a second").isLessThan(1000);
        assertThat(figures.silentMaxMillis).as("silent server costs the timeout, not more").isLessThan(TIMEOUT.toMillis() + 1000);
    }

    static Figures measure(BiFunction<List<InetSocketAddress>, Duration, Dns> resolverFor) throws Exception {
        Dns answering = resolverFor.apply(List.of(NettyDnsResolver.parseServer(DNS.server())), TIMEOUT);
        Dns silent = resolverFor.apply(List.of(NettyDnsResolver.parseServer(SILENT.server())), TIMEOUT);
        try {
            lookups(answering, silent, 0);
            Figures figures = new Figures();
            for (int round = 1; round <= ROUNDS; round++) {
                figures.add(lookups(answering, silent, round));
            }
            return figures.done();
        } finally {
            answering.close();
            silent.close();
        }
    }

    /** One burst: every name once and the silent lookups, all in flight together. */
    private static List<Timed> lookups(Dns answering, Dns silent, int round) {
        List<Timed> all = new ArrayList<>();
        for (int i = 0; i < NAMES; i++) {
            all.add(Timed.start(answering, "h" + i + ".load.test", false));
            if (i % (NAMES / SILENT_LOOKUPS) == 0) {
                all.add(Timed.start(silent, "r" + round + "-" + i + ".silent.test", true));
            }
        }
        all.forEach(timed -> timed.answer.join());
        return all;
    }

    private static final class Timed {
        final boolean silent;
        final long start = System.nanoTime();
        final CompletableFuture<Long> answer;
        volatile DnsAnswer.Status status;

        private Timed(Dns dns, String name, boolean silent) {
            this.silent = silent;
            this.answer = dns.query(name, Dns.Type.A).thenApply(found -> {
                status = found.status();
                return (System.nanoTime() - start) / 1_000_000;
            });
        }

        static Timed start(Dns dns, String name, boolean silent) {
            return new Timed(dns, name, silent);
        }
    }

    static final class Figures {
        final List<Long> answeredMillis = new ArrayList<>();
        long silentMaxMillis;
        int lost;

        void add(List<Timed> burst) {
            for (Timed timed : burst) {
                long millis = timed.answer.join();
                if (timed.silent) {
                    silentMaxMillis = Math.max(silentMaxMillis, millis);
                } else if (timed.status == DnsAnswer.Status.FOUND) {
                    answeredMillis.add(millis);
                } else {
                    lost++;
                }
            }
        }

        Figures done() {
            Collections.sort(answeredMillis);
            return this;
        }

        private long percentile(double p) {
            return answeredMillis.isEmpty() ? -1 : answeredMillis.get((int) Math.min(answeredMillis.size() - 1, Math.floor(p * answeredMillis.size())));
        }

        @Override
        public String toString() {
            return answeredMillis.size() + " answered, " + lost + " lost; answer latency p50 " + percentile(0.5) + " ms, p99 "
                + percentile(0.99) + " ms, max " + percentile(1) + " ms; silent server lookups ended after at most " + silentMaxMillis + " ms";
        }
    }
}
