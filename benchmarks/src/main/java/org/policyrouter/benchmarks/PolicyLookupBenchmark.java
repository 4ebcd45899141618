package org.policyrouter.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.policyrouter.policy.PolicyFileException;
import org.policyrouter.policy.PolicyTables;
import org.policyrouter.policy.Route;

/**
 * Time of one {@link PolicyTables#resolve} (what the router does per recipient), sampled so the
 * report has the median: an indexed hit anywhere in the table, a regex hit, and a miss that
 * falls through to MX.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PolicyLookupBenchmark {
    private static final int ADDRESSES = 4096;

    @Param({"10", "1000", "100000"})
    int rules;

    private Path directory;
    private PolicyTables tables;
    private String[] indexedHits;
    private String[] regexHits;
    private int next;

    @Setup(Level.Trial)
    public void load() throws IOException, PolicyFileException {
        directory = Files.createTempDirectory("policy-benchmark");
        GeneratedPolicy.write(directory, rules);
        tables = PolicyTables.load(directory, Optional.empty());
        Random random = new Random(rules);
        indexedHits = GeneratedPolicy.indexedHits(rules, ADDRESSES, random);
        regexHits = new String[ADDRESSES];
        int regexes = Math.max(1, rules / 100);
        for (int i = 0; i < ADDRESSES; i++) {
            int line = 50 + 100 * random.nextInt(regexes);
            regexHits[i] = GeneratedPolicy.isRegex(line) && line < rules + 2 ? GeneratedPolicy.addressFor(line) : "nobody@nowhere.example";
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Benchmark
    public Route indexedHit() {
        return tables.resolve(indexedHits[next++ & (ADDRESSES - 1)]);
    }

    @Benchmark
    public Route regexHit() {
        return tables.resolve(regexHits[next++ & (ADDRESSES - 1)]);
    }

    @Benchmark
    public Route miss() {
        return tables.resolve("nobody@nowhere.example");
    }
}
