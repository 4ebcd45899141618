package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewriteTableTest {
    @TempDir
    Path dir;

    private RewriteTable rewrite(String... lines) throws Exception {
        return new PolicyDirectory(dir).write("rewrite", lines).load().rewrite();
    }

    @Test
    void firstMatchingLineOfTheAddressRoleWins() throws Exception {
        RewriteTable table = rewrite(
            "to old.example new.example",
            "from old.example sender.example",
            "both *.example any.example");

        assertThat(table.rewriteRecipient("u@old.example")).isEqualTo("u@new.example");
        assertThat(table.rewriteSender("u@old.example")).isEqualTo("u@sender.example");
        assertThat(table.rewriteSender("u@x.example")).isEqualTo("u@any.example");
        assertThat(table.recipientRule("u@old.example").orElseThrow().ruleName()).isEqualTo("rewrite:1");
    }

    @Test
    void rewritesOnceAndKeepsTheLocalPartAsWritten() throws Exception {
        RewriteTable table = rewrite("to a.example b.example", "to b.example c.example");

        assertThat(table.rewriteRecipient("John.Doe@A.Example")).isEqualTo("John.Doe@b.example");
    }

    @Test
    void searchesRegexesInTheDomainOnly() throws Exception {
        RewriteTable table = rewrite("both /^mail[0-9]+\\./ example.com");

        assertThat(table.rewriteRecipient("u@mail12.example.com")).isEqualTo("u@example.com");
        assertThat(table.rewriteRecipient("mail1.x@example.org")).isEqualTo("mail1.x@example.org");
    }

    @Test
    void leavesTheNullSenderAndAddressesWithoutDomainAlone() throws Exception {
        RewriteTable table = rewrite("both /.*/ example.com");

        assertThat(table.rewriteSender("")).isEmpty();
        assertThat(table.rewriteSender("postmaster")).isEqualTo("postmaster");
        assertThat(table.rewriteSender("u@")).isEqualTo("u@");
    }

    @Test
    void reportsEveryBrokenLine() {
        assertThatThrownBy(() -> rewrite(
            "sideways a.example b.example",
            "from a.example",
            "from u@a.example b.example",
            "to a.example *.b.example",
            "to /(/ b.example",
            "to c.example d.example",
            "both c.example e.example",
            "from c.example f.example"))
            .isInstanceOf(PolicyFileException.class)
            .hasMessageContaining("rewrite:1: unknown direction 'sideways': expected from, to or both")
            .hasMessageContaining("rewrite:2: expected 'direction old-domain new-domain'")
            .hasMessageContaining("rewrite:3: old value 'u@a.example' must be a domain, *.wildcard or /regex/")
            .hasMessageContaining("rewrite:4: new value '*.b.example' must be a domain")
            .hasMessageContaining("rewrite:5: invalid regex /(/")
            .satisfies(e -> assertThat(((PolicyFileException) e).errors()).extracting(PolicyError::line).containsExactly(1, 2, 3, 4, 5));
    }

    @Test
    void aRewriteAnEarlierLineAlreadyMakesIsAWarningAndTheFirstWins() throws Exception {
        PolicyTables tables = new PolicyDirectory(dir).write("rewrite", "to c.example d.example", "both c.example e.example",
            "from c.example f.example").load();

        assertThat(tables.warnings()).extracting(PolicyError::toString)
            .containsExactly("rewrite:3: warning: duplicate rewrite of 'c.example': line 2 already rewrites it, so this line is never used");
        assertThat(tables.rewriteRecipient("u@c.example")).isEqualTo("u@d.example");
        assertThat(tables.rewriteSender("u@c.example")).isEqualTo("u@e.example");
    }
}
