package org.policyrouter.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * Finds which of many literals occur in a text in one pass over the text (an Aho-Corasick
 * automaton), so the cost of a lookup does not grow with the number of regexes in a table.
 * Transitions are stored as sorted arrays per state: compact enough for 100,000 literals.
 */
final class LiteralSearcher {
    private final int[] edgeStart;
    private final char[] edgeChars;
    private final int[] edgeTargets;
    private final int[] failure;
    /** The literal spelled by the path to the state, or -1. */
    private final int[] literalAt;
    /** The nearest state on the failure chain that ends a literal, or 0 (the root ends none). */
    private final int[] nextOutput;

    /** @param literals non-empty strings; the searcher reports their indexes */
    LiteralSearcher(List<String> literals) {
        List<TreeMap<Character, Integer>> children = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        children.add(new TreeMap<>());
        ends.add(-1);
        for (int id = 0; id < literals.size(); id++) {
            int state = 0;
            for (char c : literals.get(id).toCharArray()) {
                Integer next = children.get(state).get(c);
                if (next == null) {
                    next = children.size();
                    children.add(new TreeMap<>());
                    ends.add(-1);
                    children.get(state).put(c, next);
                }
                state = next;
            }
            ends.set(state, id);
        }
        int states = children.size();
        edgeStart = new int[states + 1];
        int edges = children.stream().mapToInt(Map::size).sum();
        edgeChars = new char[edges];
        edgeTargets = new int[edges];
        int e = 0;
        for (int s = 0; s < states; s++) {
            edgeStart[s] = e;
            for (Map.Entry<Character, Integer> edge : children.get(s).entrySet()) {
                edgeChars[e] = edge.getKey();
                edgeTargets[e++] = edge.getValue();
            }
        }
        edgeStart[states] = e;
        literalAt = ends.stream().mapToInt(Integer::intValue).toArray();
        failure = new int[states];
        nextOutput = new int[states];
        linkFailures();
    }

    /** Breadth first, so a state's failure target is final before its children need it. */
    private void linkFailures() {
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int e = edgeStart[0]; e < edgeStart[1]; e++) {
            queue.add(edgeTargets[e]);
        }
        while (!queue.isEmpty()) {
            int state = queue.poll();
            for (int e = edgeStart[state]; e < edgeStart[state + 1]; e++) {
                int child = edgeTargets[e];
                int fallback = step(failure[state], edgeChars[e]);
                failure[child] = fallback;
                nextOutput[child] = literalAt[fallback] >= 0 ? fallback : nextOutput[fallback];
                queue.add(child);
            }
        }
    }

    /** Reports the index of every literal occurring in {@code text}, once per occurrence. */
    void search(String text, IntConsumer found) {
        int state = 0;
        for (int i = 0; i < text.length(); i++) {
            state = step(state, text.charAt(i));
            for (int out = literalAt[state] >= 0 ? state : nextOutput[state]; out != 0; out = nextOutput[out]) {
                found.accept(literalAt[out]);
            }
        }
    }

    private int step(int state, char c) {
        while (true) {
            int target = child(state, c);
            if (target >= 0) {
                return target;
            }
            if (state == 0) {
                return 0;
            }
            state = failure[state];
        }
    }

    private int child(int state, char c) {
        int from = edgeStart[state];
        int to = edgeStart[state + 1];
        int at = Arrays.binarySearch(edgeChars, from, to, c);
        return at >= 0 ? edgeTargets[at] : -1;
    }
}
