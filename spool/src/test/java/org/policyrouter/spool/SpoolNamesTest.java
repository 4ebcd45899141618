package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SpoolNamesTest {
    @Test
    void keepsHarmlessMailNamesReadable() {
        assertThat(SpoolNames.forKey("Mail1700000000000-1a2b-!123456")).isEqualTo("Mail1700000000000-1a2b-!123456");
    }

    @Test
    void encodesNamesWithPathCharacters() {
        assertThat(SpoolNames.forKey("../../etc/passwd")).startsWith("~").doesNotContain("/", ".");
        assertThat(SpoolNames.forKey(".hidden")).startsWith("~");
        assertThat(SpoolNames.forKey("~tilde")).startsWith("~").isNotEqualTo("~tilde");
    }

    @Test
    void hashesLongNamesToABoundedLength() {
        String name = SpoolNames.forKey("x/".repeat(500));
        assertThat(name).startsWith("~h").hasSize(66);
        assertThat(SpoolNames.checked(name)).isEqualTo(name);
    }

    @Test
    void givesDistinctNamesToDistinctKeys() {
        assertThat(SpoolNames.forKey("a b")).isNotEqualTo(SpoolNames.forKey("a  b"));
    }
}
