package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AliasTableTest {
    @TempDir
    Path dir;

    private PolicyTables aliases(String... lines) throws Exception {
        return new PolicyDirectory(dir).write("aliases", lines).load();
    }

    @Test
    void exactEntriesWinOverRegexesWrittenBefore() throws Exception {
        PolicyTables tables = aliases(".*master admin", "webmaster web", "root max");

        assertThat(tables.alias("webmaster")).hasToString("web (aliases:2)");
        assertThat(tables.alias("postmaster")).hasToString("admin (aliases:1)");
    }

    @Test
    void regexesApplyInFileOrder() throws Exception {
        PolicyTables tables = aliases("root max", "sales-.* sales", ".*-.* dashes");

        assertThat(tables.alias("sales-eu").unixUser()).isEqualTo("sales");
        assertThat(tables.alias("x-y").unixUser()).isEqualTo("dashes");
    }

    @Test
    void bareRegexMatchesTheWholeLocalPartAndSlashedRegexIsSearched() throws Exception {
        PolicyTables tables = aliases("root max", ".*master admin", "/www/ phpgroup");

        assertThat(tables.alias("masterchef").isFound()).isFalse();
        assertThat(tables.alias("old-www-site").unixUser()).isEqualTo("phpgroup");
    }

    @Test
    void matchesLocalPartsCaseInsensitivelyAndKeepsDotsAndPlusLiteral() throws Exception {
        PolicyTables tables = aliases("root max", "John.Doe john", "max+lists lists");

        assertThat(tables.alias("JOHN.DOE").unixUser()).isEqualTo("john");
        assertThat(tables.alias("johnxdoe").isFound()).isFalse();
        assertThat(tables.alias("max+lists").unixUser()).isEqualTo("lists");
    }

    @Test
    void unknownRecipientIsAPermanent511() throws Exception {
        AliasResult result = aliases("root max").alias("ghost");

        assertThat(result.isFound()).isFalse();
        assertThat(result.isPermanentFailure()).isTrue();
        assertThat(result).hasToString("5.1.1 unknown user 'ghost': no entry in aliases");
        assertThatThrownBy(result::unixUser).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void withoutAliasesFileAnAliasLookupIsATemporaryConfigurationFailure() throws Exception {
        AliasResult result = new PolicyDirectory(dir).load().alias("max");

        assertThat(result.status()).isEqualTo("4.3.5");
        assertThat(result.isPermanentFailure()).isFalse();
    }

    @Test
    void requiresARootEntry() {
        assertThatThrownBy(() -> aliases("# users", "max max", ".*root.* admin"))
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("aliases:1: no entry for root");
    }

    @Test
    void refusesMappingToRootOrToAUidAndReportsEveryBrokenLine() {
        assertThatThrownBy(() -> aliases(
            "root root",
            "postmaster ROOT",
            "zero 0",
            "a@example.com max",
            "x bad/user",
            "/(/ max",
            "alone",
            "dup max",
            "dup other"))
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("aliases:1: mapping to root is refused")
            .hasMessageContaining("aliases:2: mapping to root is refused")
            .hasMessageContaining("aliases:3: unix user '0' is a number")
            .hasMessageContaining("aliases:4: 'a@example.com' has a domain")
            .hasMessageContaining("aliases:5: 'bad/user' is not a valid unix user name")
            .hasMessageContaining("aliases:6: invalid regex /(/")
            .hasMessageContaining("aliases:7: expected 'virtual-user unix-user'")
            .hasMessageContaining("aliases:9: duplicate entry for 'dup' (aliases:8)")
            // root's line was refused, so root has no entry either
            .hasMessageContaining("aliases:1: no entry for root");
    }

    @Test
    void anAliasesFileWithOnlyCommentsIsNoTable() throws Exception {
        assertThat(aliases("# root max").aliases()).isEmpty();
    }

    @Test
    void mdaNextHopNeedsAnAliasesTable() {
        PolicyDirectory policy = new PolicyDirectory(dir).write("transport", "a.example mx", "local.example /usr/bin/procmail -d USER");

        assertThatThrownBy(policy::load)
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("transport:2: next hop '/usr/bin/procmail -d USER' is an MDA, which needs an aliases file");
    }
}
