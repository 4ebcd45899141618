package org.policyrouter.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class QueueIdsTest {
    @Test
    void queueIdsSortInCreationOrderAndNeverRepeat() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(QueueIds.next());
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates().allMatch(id -> id.matches("[0-9A-F]{21}"));
    }

    @Test
    void queueIdsAreFixedWidthUpperCaseHex() {
        assertThat(QueueIds.format(0x18C5A2B3C4DL, 0x1234567L, 0xBEEF)).isEqualTo("18C5A2B3C4D234567BEEF");
        assertThat(QueueIds.format(1L, 2L, 3)).isEqualTo("00000000001000002" + "0003");
    }
}
