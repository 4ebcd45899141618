package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.Response;

/** Reply lines sent exactly as the plugins wrote them (James's SMTPResponse would reformat them). */
final class PluginReply implements Response {
    private final List<CharSequence> lines;
    private final boolean endSession;

    private PluginReply(List<String> lines, boolean endSession) {
        this.lines = new ArrayList<>(lines);
        this.endSession = endSession;
    }

    static PluginReply of(List<String> lines) {
        return new PluginReply(lines, false);
    }

    static PluginReply closing(List<String> lines) {
        return new PluginReply(lines, true);
    }

    static List<String> printed(PluginVerdict verdict) {
        List<String> lines = new ArrayList<>();
        verdict.printed().forEach(line -> lines.add(line.asWritten()));
        return lines;
    }

    @Override
    public String getRetCode() {
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1).toString();
        return last.length() >= 3 ? last.substring(0, 3) : "";
    }

    @Override
    public List<CharSequence> getLines() {
        return lines;
    }

    @Override
    public boolean isEndSession() {
        return endSession;
    }
}
