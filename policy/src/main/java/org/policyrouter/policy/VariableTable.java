package org.policyrouter.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code variables} file, {@code name value} per line, and the expansion of {@code $name}
 * (or {@code ${name}}, when letters follow) in transport lines. Values are taken literally: no
 * nested variables, so an expansion can neither loop nor surprise.
 */
public final class VariableTable {
    public static final VariableTable EMPTY = new VariableTable(Map.of());

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /**
     * A '$' not followed by a name stays literal, so regex anchors such as {@code /foo$/} keep
     * working; a '$' followed by letters can never match in a regex anyway.
     */
    /**
     * The delivery agents' own placeholders, filled at delivery (the MDA's unix user, a batch pipe's
     * recipients): kept as written unless variables defines the name.
     */
    static final Set<String> DELIVERY_PLACEHOLDERS = Set.of("${user}", "${recipient}", "${recipients}", "${sender}", "${nexthop}");
    private static final Pattern REFERENCE = Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)\\}|([A-Za-z_][A-Za-z0-9_]*))");

    private final Map<String, String> values;

    private VariableTable(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    static VariableTable parse(PolicyFile file, PolicyErrors errors) {
        Map<String, String> values = new HashMap<>();
        Map<String, Integer> definedOn = new HashMap<>();
        file.parseEach(errors, line -> {
            // "$name value" is accepted too: it is how the name reads in transport
            String name = line.fields().get(0).startsWith("$") ? line.fields().get(0).substring(1) : line.fields().get(0);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid variable name '" + line.fields().get(0) + "': use letters, digits and '_'");
            }
            String value = line.restAfter(1);
            if (value.isEmpty()) {
                throw new IllegalArgumentException("expected 'name value', variable '" + name + "' has no value");
            }
            Integer first = definedOn.putIfAbsent(name, line.number());
            if (first != null) {
                throw new IllegalArgumentException("duplicate variable '" + name + "' (first defined on line " + first + ")");
            }
            values.put(name, value);
        });
        return new VariableTable(values);
    }

    /**
     * @throws IllegalArgumentException naming every undefined variable of {@code text}
     */
    public String expand(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        Matcher matcher = REFERENCE.matcher(text);
        StringBuilder expanded = new StringBuilder();
        List<String> undefined = new ArrayList<>();
        while (matcher.find()) {
            String name = matcher.group(1) != null ? matcher.group(1) : matcher.group(2);
            String value = values.get(name);
            if (value == null && DELIVERY_PLACEHOLDERS.contains(matcher.group())) {
                value = matcher.group();
            } else if (value == null) {
                undefined.add("$" + name);
                value = "";
            }
            matcher.appendReplacement(expanded, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(expanded);
        if (!undefined.isEmpty()) {
            throw new IllegalArgumentException("undefined variable" + (undefined.size() > 1 ? "s " : " ")
                + String.join(", ", undefined) + " (define it in variables)");
        }
        return expanded.toString();
    }

    public Map<String, String> values() {
        return values;
    }
}
