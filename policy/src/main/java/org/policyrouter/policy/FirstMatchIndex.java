package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Gives exactly the answer of a first-match linear scan over ordered rules, without the scan:
 * addresses and domains are hash lookups, a {@code *.wildcard} is one lookup per label of the
 * domain, so the best indexed hit costs O(labels). Regexes cannot be hashed; only those written
 * before that hit can still win, and of those only the ones whose {@link RequiredLiteral} occurs
 * in the address are run (found in one pass by a {@link LiteralSearcher}).
 *
 * @param <T> the rule type
 */
public final class FirstMatchIndex<T> {
    private static final int NONE = Integer.MAX_VALUE;

    private final List<T> rules;
    private final Map<String, Integer> addresses = new HashMap<>();
    private final Map<String, Integer> domains = new HashMap<>();
    /** Keyed by the wildcard's suffix with its leading dot: {@code *.foo} is ".foo". */
    private final Map<String, Integer> wildcards = new HashMap<>();
    /** Positions (in {@link #rules}) of the regex rules, ascending. */
    private final int[] regexPositions;
    private final AddressPattern[] regexes;
    /** Ordinals (into {@link #regexPositions}) of regexes without a literal: always candidates. */
    private final int[] alwaysRun;
    /** For each literal of {@link #literals}, the ordinals of the regexes requiring it. */
    private final int[][] literalOwners;
    private final LiteralSearcher literals;

    public FirstMatchIndex(List<T> rules, Function<T, AddressPattern> patternOf) {
        this.rules = List.copyOf(rules);
        List<Integer> positions = new ArrayList<>();
        List<Integer> always = new ArrayList<>();
        Map<String, List<Integer>> owners = new LinkedHashMap<>();
        for (int i = 0; i < this.rules.size(); i++) {
            AddressPattern pattern = patternOf.apply(this.rules.get(i));
            switch (pattern.kind()) {
                case ADDRESS:
                    addresses.putIfAbsent(pattern.key(), i);
                    break;
                case DOMAIN:
                    domains.putIfAbsent(pattern.key(), i);
                    break;
                case WILDCARD:
                    wildcards.putIfAbsent(pattern.key(), i);
                    break;
                case REGEX:
                    int ordinal = positions.size();
                    positions.add(i);
                    Optional<String> literal = pattern.requiredLiteral();
                    if (literal.isPresent()) {
                        owners.computeIfAbsent(literal.get(), l -> new ArrayList<>()).add(ordinal);
                    } else {
                        always.add(ordinal);
                    }
                    break;
                default:
                    throw new IllegalStateException(pattern.kind().name());
            }
        }
        regexPositions = positions.stream().mapToInt(Integer::intValue).toArray();
        regexes = new AddressPattern[regexPositions.length];
        for (int r = 0; r < regexes.length; r++) {
            regexes[r] = patternOf.apply(this.rules.get(regexPositions[r]));
        }
        alwaysRun = always.stream().mapToInt(Integer::intValue).toArray();
        literalOwners = owners.values().stream().map(o -> o.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
        literals = new LiteralSearcher(new ArrayList<>(owners.keySet()));
    }

    /**
     * The first rule matching {@code lowerAddress} ({@code local@domain}, or a bare domain),
     * exactly as {@link AddressPattern#matches} applied to each rule in order would find it.
     */
    public Optional<T> first(String lowerAddress) {
        int best = bestIndexed(lowerAddress);
        int regex = firstRegexBefore(best, lowerAddress);
        if (regex != NONE) {
            best = regex;
        }
        return best == NONE ? Optional.empty() : Optional.of(rules.get(best));
    }

    private int bestIndexed(String lowerAddress) {
        String domain = lowerAddress.substring(lowerAddress.lastIndexOf('@') + 1);
        int best = Math.min(positionOf(addresses, lowerAddress), positionOf(domains, domain));
        if (wildcards.isEmpty()) {
            return best;
        }
        for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
            best = Math.min(best, positionOf(wildcards, domain.substring(dot)));
        }
        return best;
    }

    private static int positionOf(Map<String, Integer> keys, String key) {
        Integer position = keys.get(key);
        return position == null ? NONE : position;
    }

    private int firstRegexBefore(int limit, String lowerAddress) {
        if (regexPositions.length == 0 || regexPositions[0] >= limit) {
            return NONE;
        }
        if (!isAscii(lowerAddress)) {
            for (int ordinal = 0; ordinal < regexPositions.length && regexPositions[ordinal] < limit; ordinal++) {
                if (regexes[ordinal].matches(lowerAddress)) {
                    return regexPositions[ordinal];
                }
            }
            return NONE;
        }
        // walk, in rule order, the union of two disjoint ascending lists: literal found, literal-less
        int[] found = regexesWithLiteralIn(lowerAddress);
        int f = 0;
        int a = 0;
        while (f < found.length || a < alwaysRun.length) {
            boolean takeFound = a == alwaysRun.length || (f < found.length && found[f] < alwaysRun[a]);
            int ordinal = takeFound ? found[f++] : alwaysRun[a++];
            if (regexPositions[ordinal] >= limit) {
                return NONE;
            }
            if (regexes[ordinal].matches(lowerAddress)) {
                return regexPositions[ordinal];
            }
        }
        return NONE;
    }

    /** Ordinals, ascending and distinct, of the regexes whose literal occurs in the address. */
    private int[] regexesWithLiteralIn(String lowerAddress) {
        int[][] found = {new int[8]};
        int[] size = {0};
        literals.search(lowerAddress, literal -> {
            for (int ordinal : literalOwners[literal]) {
                if (size[0] == found[0].length) {
                    found[0] = Arrays.copyOf(found[0], size[0] * 2);
                }
                found[0][size[0]++] = ordinal;
            }
        });
        int[] sorted = found[0];
        Arrays.sort(sorted, 0, size[0]);
        int distinct = 0;
        for (int i = 0; i < size[0]; i++) {
            if (distinct == 0 || sorted[i] != sorted[distinct - 1]) {
                sorted[distinct++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, distinct);
    }

    /**
     * Literals are only a sound filter for ASCII input: RE2's case folding relates a few ASCII
     * letters to non-ASCII ones, so other addresses run every preceding regex.
     */
    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 128) {
                return false;
            }
        }
        return true;
    }

    public List<T> rules() {
        return rules;
    }
}
