package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.policyrouter.core.LogText;

/**
 * What one plugin printed on stdout, read as qmail-spp reads it: one command per line, empty lines
 * skipped, nothing after the first terminating command (A, N, O, E, R, D).
 *
 * <p>Fixed on the way: a trailing CR is cut (qmail-spp would send it on); a last line without its
 * newline counts whole (qmail-spp chops its last character); when the output was cut at the size
 * bound, the cut line is dropped rather than read half.
 */
public final class PluginOutput {
    private final List<PluginCommand> commands;
    private final List<String> problems;

    private PluginOutput(List<PluginCommand> commands, List<String> problems) {
        this.commands = commands;
        this.problems = problems;
    }

    /**
     * @param lines the complete lines read, without their newline (a last line without newline
     *              counts whole; a line cut at the size bound is not among them)
     * @param cut   whether output was dropped at the size bound (logged)
     */
    public static PluginOutput parse(List<String> lines, boolean cut) {
        List<PluginCommand> commands = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (cut) {
            problems.add("output beyond the size bound dropped");
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = withoutCarriageReturn(lines.get(i));
            if (line.isEmpty()) {
                continue;
            }
            StringBuilder problem = new StringBuilder();
            Optional<PluginCommand> command = PluginCommand.parse(line, problem);
            if (command.isEmpty()) {
                problems.add("line " + (i + 1) + " ignored (" + problem + "): " + printable(line));
                continue;
            }
            commands.add(command.get());
            if (command.get().kind().isTerminating()) {
                break;
            }
        }
        return new PluginOutput(List.copyOf(commands), List.copyOf(problems));
    }

    /** Whether reading may stop after this line: qmail-spp closes the pipe after a terminating command. */
    public static boolean terminates(String line) {
        String command = withoutCarriageReturn(line);
        return !command.isEmpty() && PluginCommand.parse(command, new StringBuilder())
            .map(parsed -> parsed.kind().isTerminating()).orElse(false);
    }

    private static String withoutCarriageReturn(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** The commands in order, the terminating one (if any) last. */
    public List<PluginCommand> commands() {
        return commands;
    }

    public Optional<PluginCommand> terminator() {
        if (commands.isEmpty() || !commands.get(commands.size() - 1).kind().isTerminating()) {
            return Optional.empty();
        }
        return Optional.of(commands.get(commands.size() - 1));
    }

    /** Malformed lines, for the log. */
    public List<String> problems() {
        return problems;
    }

    static String printable(String line) {
        return LogText.escape(line.length() > 200 ? line.substring(0, 200) + "..." : line);
    }
}
