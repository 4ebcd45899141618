package org.policyrouter.policy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Optional;

/**
 * A JVM of its own that keeps the tables of a directory reloading, as the server does, and
 * answers each address read on stdin with {@code hop=<next hop>}: for tests that need a heap of
 * their own size ({@link ReloadThreadSurvivesTest}).
 */
public final class ReloadingTablesProcess {
    private ReloadingTablesProcess() {
    }

    public static void main(String[] args) throws Exception {
        ReloadingPolicyTables tables = ReloadingPolicyTables.open(Paths.get(args[0]), Optional.empty()).pollEvery(Duration.ofMillis(100));
        System.out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String address;
        while ((address = in.readLine()) != null) {
            System.out.println("hop=" + tables.current().resolve(address).nextHop().spec());
        }
    }
}
