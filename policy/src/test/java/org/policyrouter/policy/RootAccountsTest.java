package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.core.process.UnixAccounts;

/**
 * Issue 20: a configuration that would run a program as root is refused when the policy loads,
 * with its file and line, so {@code policy-router check} reports it too. Real accounts: the
 * test (root) creates a second name for uid 0, as BSD's {@code toor}, and one in group 0.
 */
class RootAccountsTest {
    private static final String TOOR = "prtest-ptoor";
    private static final String WHEEL = "prtest-pwheel";

    @TempDir
    Path dir;

    @BeforeAll
    static void createAccounts() throws Exception {
        removeAccounts();
        run("useradd", "--non-unique", "--uid", "0", "--gid", "0", "--no-create-home", "--home-dir", "/root", TOOR);
        run("useradd", "--no-create-home", "--gid", "0", WHEEL);
        UnixAccounts.system().forget();
    }

    @AfterAll
    static void removeAccounts() throws Exception {
        quietly("userdel", "--force", TOOR);
        quietly("userdel", "--force", WHEEL);
        UnixAccounts.system().forget();
    }

    @Test
    void anAliasToAnotherNameForUidZeroOrToRootsGroupIsAnErrorOfItsLine() {
        assertThatThrownBy(() -> new PolicyDirectory(dir).write("aliases", "root max", "boss " + TOOR, "ops " + WHEEL,
            "other " + TOOR, "someone no-such-user-yet").load())
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::line).containsExactly(2, 3, 4))
            .hasMessageContaining("aliases:2: unix user '" + TOOR + "' has uid 0 (root's): the MDA never delivers as root")
            .hasMessageContaining("aliases:3: unix user '" + WHEEL + "' has gid 0 (root's group)")
            .hasMessageContaining("aliases:4: unix user '" + TOOR + "' has uid 0");
    }

    @Test
    void aPipeUserThatIsRootsOrUnknownIsAnErrorOfItsLine() {
        assertThatThrownBy(() -> new PolicyDirectory(dir).write("transport", "a.example user=nobody |/bin/cat",
            "b.example user=" + TOOR + " |/bin/cat", "c.example user=nobody:root |/bin/cat", "d.example user=no-such-user-xq |/bin/cat",
            "e.example user=nobody:no-such-group-xq |/bin/cat").load())
            .isInstanceOf(PolicyFileException.class)
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::line).containsExactly(2, 3, 4, 5))
            .hasMessageContaining("transport:2: user=" + TOOR + ": unix user '" + TOOR + "' has uid 0: programs never run as root")
            .hasMessageContaining("transport:3: user=nobody:root: user=nobody:root means gid 0")
            .hasMessageContaining("transport:4: user=no-such-user-xq: unknown unix user 'no-such-user-xq'")
            .hasMessageContaining("transport:5: user=nobody:no-such-group-xq: unknown unix group 'no-such-group-xq'");
    }

    private static void run(String... command) throws Exception {
        if (quietly(command) != 0) {
            throw new IllegalStateException(List.of(command) + " failed");
        }
    }

    private static int quietly(String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
