package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class LiteralSearcherTest {
    @Test
    void findsOverlappingAndNestedLiterals() {
        LiteralSearcher searcher = new LiteralSearcher(List.of("he", "she", "his", "hers", "e"));
        Set<Integer> found = new TreeSet<>();

        searcher.search("ushers", found::add);

        assertThat(found).containsExactly(0, 1, 3, 4);
    }

    @Test
    void findsExactlyTheLiteralsContainedInRandomTexts() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            List<String> literals = new ArrayList<>();
            int count = 1 + random.nextInt(20);
            for (int i = 0; i < count; i++) {
                literals.add(randomText(random, 1 + random.nextInt(4)));
            }
            LiteralSearcher searcher = new LiteralSearcher(literals);
            String text = randomText(random, random.nextInt(30));
            Set<Integer> expected = new TreeSet<>();
            for (int i = 0; i < literals.size(); i++) {
                if (text.contains(literals.get(i))) {
                    expected.add(i);
                }
            }
            Set<Integer> found = new TreeSet<>();
            searcher.search(text, found::add);
            // a literal listed twice is reported under one of its indexes: compare by text
            assertThat(new TreeSet<>(found.stream().map(literals::get).collect(Collectors.toList())))
                .as("literals %s in '%s'", literals, text)
                .isEqualTo(new TreeSet<>(expected.stream().map(literals::get).collect(Collectors.toList())));
        }
    }

    private static String randomText(Random random, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append("abc.@".charAt(random.nextInt(5)));
        }
        return text.toString();
    }
}
