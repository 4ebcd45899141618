package org.policyrouter.hooks.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.configuration2.Configuration;
import org.policyrouter.core.Durations;

/**
 * A check's options, from either source an operator has: the XML elements of its
 * {@code <handler>} ({@code <rejectType>temp</rejectType>}) or the arguments after its name in
 * qpsmtpd's {@code plugins} file ({@code reject_type temp}). Names match whatever their spelling:
 * case, '_' and '-' are ignored, so {@code reject_type}, {@code rejectType} and
 * {@code reject-type} are one option. Arguments that are not name/value pairs stay positional
 * ({@code count_unrecognized_commands 4}).
 */
public final class Options {
    private final Map<String, List<String>> values;
    private final List<String> positional;
    private final String origin;

    private Options(Map<String, List<String>> values, List<String> positional, String origin) {
        this.values = values;
        this.positional = positional;
        this.origin = origin;
    }

    public static Options empty() {
        return new Options(Map.of(), List.of(), "defaults");
    }

    /** The children of a {@code <handler>} element; repeated elements give several values. */
    public static Options fromXml(Configuration configuration) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        Iterator<String> keys = configuration.getKeys();
        while (keys.hasNext()) {
            String key = keys.next();
            if (key.startsWith("[@") || key.contains(".")) {
                continue;
            }
            for (Object value : configuration.getList(key)) {
                values.computeIfAbsent(normalize(key), k -> new ArrayList<>()).add(String.valueOf(value).trim());
            }
        }
        return new Options(values, List.of(), "<handler>");
    }

    /**
     * The words after a plugin name in qpsmtpd's plugins file. qpsmtpd takes them as a Perl hash
     * (name value name value…); a lone or odd word list is kept positional for the plugins that
     * take one (count_unrecognized_commands 4, rhsbl disconnect).
     */
    public static Options fromPluginArguments(List<String> words, String origin) {
        if (words.size() % 2 != 0) {
            return new Options(Map.of(), List.copyOf(words), origin);
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (int i = 0; i < words.size(); i += 2) {
            values.computeIfAbsent(normalize(words.get(i)), k -> new ArrayList<>()).add(words.get(i + 1));
        }
        return new Options(values, List.copyOf(words), origin);
    }

    /** {@code base} with every option that {@code override} sets replaced by its value. */
    public static Options layered(Options base, Options override) {
        Map<String, List<String>> values = new LinkedHashMap<>(base.values);
        values.putAll(override.values);
        List<String> positional = override.positional.isEmpty() ? base.positional : override.positional;
        return new Options(values, positional, override.origin);
    }

    static String normalize(String name) {
        return name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    }

    public Optional<String> get(String name) {
        List<String> list = values.get(normalize(name));
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    public List<String> getAll(String name) {
        return values.getOrDefault(normalize(name), Collections.emptyList());
    }

    public boolean has(String name) {
        return values.containsKey(normalize(name));
    }

    public List<String> positional() {
        return positional;
    }

    public String string(String name, String defaultValue) {
        return get(name).orElse(defaultValue);
    }

    /** Perl truth, as qpsmtpd reads its flags: empty and "0" are false. */
    public boolean flag(String name, boolean defaultValue) {
        return get(name).map(v -> !(v.isEmpty() || v.equals("0") || v.equalsIgnoreCase("false") || v.equalsIgnoreCase("no")))
            .orElse(defaultValue);
    }

    public int integer(String name, int defaultValue) {
        return get(name).map(v -> parseInt(name, v)).orElse(defaultValue);
    }

    /** {@link Durations}: a number alone is seconds, as in qpsmtpd; {@code 500ms}, {@code 5m} … as in James. */
    public Duration duration(String name, Duration defaultValue) {
        return get(name).map(v -> parseDuration(name, v)).orElse(defaultValue);
    }

    private int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw invalid(name, value, "a whole number");
        }
    }

    private Duration parseDuration(String name, String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid(name, value, Durations.EXPECTED);
        }
    }

    public IllegalArgumentException invalid(String name, String value, String expected) {
        return new IllegalArgumentException(origin + ": option " + name + " = \"" + value + "\" is not " + expected);
    }

    public String origin() {
        return origin;
    }
}
