package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VariableTableTest {
    @TempDir
    Path dir;

    private PolicyDirectory policy() {
        return new PolicyDirectory(dir);
    }

    @Test
    void expandsVariablesAnywhereInATransportLine() throws Exception {
        PolicyTables tables = policy()
            .write("variables", "relay relay.example", "port 2525", "$dom example.org", "robot |/usr/bin/robot --to \"a b\"")
            .write("transport", "$dom ${relay}:$port", "robot.$dom $robot").load();

        assertThat(tables.resolve("u@example.org").nextHop().relayHosts()).containsExactly(new RelayHost("relay.example", 2525));
        assertThat(tables.resolve("u@robot.example.org").nextHop().target()).isEqualTo("/usr/bin/robot --to \"a b\"");
    }

    @Test
    void keepsTheMdaUserPlaceholderUnlessVariablesDefinesUser() throws Exception {
        PolicyTables tables = policy().write("aliases", "u bob", "root bob")
            .write("transport", "mda.example /usr/bin/maildrop -d ${user}").load();

        assertThat(tables.resolve("u@mda.example").nextHop().argv()).containsExactly("/usr/bin/maildrop", "-d", "${user}");
        assertThat(policy().write("variables", "user alice").load().resolve("u@mda.example").nextHop().argv())
            .containsExactly("/usr/bin/maildrop", "-d", "alice");
    }

    @Test
    void keepsTheBatchPipesRecipientsPlaceholder() throws Exception {
        PolicyTables tables = policy().write("transport", "batch.example |/usr/bin/robot --to ${recipients}").load();

        assertThat(tables.resolve("u@batch.example").nextHop().argv()).containsExactly("/usr/bin/robot", "--to", "${recipients}");
    }

    @Test
    void keepsADollarThatIsNoVariableSoRegexAnchorsWork() throws Exception {
        PolicyTables tables = policy().write("transport", "/@foo\\.bar$/ relay.example").load();

        assertThat(tables.resolve("u@foo.bar").rule()).isEqualTo("transport:1");
        assertThat(tables.resolve("u@foo.bar.baz").rule()).isEqualTo(Route.DEFAULT_RULE);
    }

    @Test
    void refusesUndefinedVariablesNamingEachOne() {
        policy().write("variables", "known 10.0.0.1").write("transport", "a.example $known", "b.example $missing", "$x.example ${y}");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("transport:2: undefined variable $missing")
            .hasMessageContaining("transport:3: undefined variables $x, $y");
    }

    @Test
    void refusesDuplicateAndInvalidVariables() {
        policy().write("variables", "a 1", "a 2", "b-c 3", "novalue");

        assertThatThrownBy(() -> policy().load())
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("variables:2: duplicate variable 'a' (first defined on line 1)")
            .hasMessageContaining("variables:3: invalid variable name 'b-c'")
            .hasMessageContaining("variables:4: expected 'name value'");
    }

    @Test
    void valuesAreLiteralSoVariablesCannotNest() throws Exception {
        PolicyTables tables = policy().write("variables", "a $b", "b relay.example").write("transport", "x.example |echo $a").load();

        assertThat(tables.resolve("u@x.example").nextHop().target()).isEqualTo("echo $b");
    }
}
