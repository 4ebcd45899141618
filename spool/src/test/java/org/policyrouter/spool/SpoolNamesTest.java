package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

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

    @Test
    void queueIdsSortInCreationOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(SpoolNames.newQueueId());
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(SpoolNames.checked(ids.get(0))).isEqualTo(ids.get(0));
    }

    @Test
    void queueIdsAreFixedWidthUpperCaseHex() {
        assertThat(SpoolNames.queueId(0x18C5A2B3C4DL, 0x1234567L, 0xBEEF)).isEqualTo("18C5A2B3C4D234567BEEF");
        assertThat(SpoolNames.queueId(1L, 2L, 3)).isEqualTo("00000000001000002" + "0003");
    }
}
