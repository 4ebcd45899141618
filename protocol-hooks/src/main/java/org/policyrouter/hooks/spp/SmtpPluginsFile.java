package org.policyrouter.hooks.spp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed smtpplugins file: for each section, its plugins in file order.
 *
 * <p>Read like qmail's control files: trailing white space is cut, empty lines and lines starting
 * with {@code #} are skipped. A line {@code [name]} starts a section. Lines outside a known section
 * are kept out (qmail-spp files them under a dummy section) and reported as warnings naming
 * file:line, so a typo in a section name does not silently disable a check.
 */
public final class SmtpPluginsFile {
    private static final SmtpPluginsFile EMPTY = new SmtpPluginsFile(new EnumMap<>(Section.class), List.of());

    private final Map<Section, List<PluginLine>> plugins;
    private final List<String> warnings;

    private SmtpPluginsFile(Map<Section, List<PluginLine>> plugins, List<String> warnings) {
        this.plugins = plugins;
        this.warnings = warnings;
    }

    public static SmtpPluginsFile empty() {
        return EMPTY;
    }

    public static SmtpPluginsFile read(Path file) throws IOException {
        return parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    public static SmtpPluginsFile parse(String fileName, List<String> lines) {
        Map<Section, List<PluginLine>> plugins = new EnumMap<>(Section.class);
        List<String> warnings = new ArrayList<>();
        Optional<Section> current = Optional.empty();
        String currentName = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String location = fileName + ":" + (i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                currentName = line;
                current = sectionHeader(line);
                if (current.isEmpty()) {
                    warnings.add(location + ": unknown section " + line + ": its plugins are ignored");
                }
                continue;
            }
            if (current.isEmpty()) {
                if (currentName == null) {
                    warnings.add(location + ": plugin outside any section ignored: " + line);
                }
                continue;
            }
            if (line.equals(":")) {
                warnings.add(location + ": empty shell line ignored");
                continue;
            }
            plugins.computeIfAbsent(current.get(), section -> new ArrayList<>()).add(new PluginLine(line, location));
        }
        plugins.replaceAll((section, list) -> List.copyOf(list));
        return new SmtpPluginsFile(plugins, List.copyOf(warnings));
    }

    private static Optional<Section> sectionHeader(String line) {
        if (!line.endsWith("]")) {
            return Optional.empty();
        }
        return Section.named(line.substring(1, line.length() - 1).strip());
    }

    public List<PluginLine> plugins(Section section) {
        return plugins.getOrDefault(section, Collections.emptyList());
    }

    public boolean isEmpty() {
        return plugins.isEmpty();
    }

    public List<String> warnings() {
        return warnings;
    }
}
