package org.policyrouter.policy.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.policyrouter.policy.AliasResult;
import org.policyrouter.policy.NextHop;
import org.policyrouter.policy.RecipientDecision;
import org.policyrouter.policy.RelayHost;

/**
 * Prints one {@link RecipientDecision} per line: {@code key=value} pairs for people and grep, or
 * one JSON object for scripts. Both show the same fields, in the same order.
 */
abstract class DecisionPrinter {
    static DecisionPrinter text(PrintStream out) {
        return new DecisionPrinter() {
            @Override
            void print(RecipientDecision decision) {
                out.println(fields(decision).entrySet().stream()
                    .map(field -> field.getKey() + "=" + quotedIfNeeded(textOf(field.getValue())))
                    .collect(Collectors.joining(" ")));
            }
        };
    }

    static DecisionPrinter json(PrintStream out) {
        JsonFactory factory = new JsonFactory();
        return new DecisionPrinter() {
            @Override
            void print(RecipientDecision decision) {
                try (JsonGenerator json = factory.createGenerator((OutputStream) out, JsonEncoding.UTF8)
                    .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
                    json.writeStartObject();
                    for (Map.Entry<String, Object> field : fields(decision).entrySet()) {
                        if (field.getValue() instanceof List) {
                            json.writeArrayFieldStart(field.getKey());
                            for (Object item : (List<?>) field.getValue()) {
                                json.writeString(item.toString());
                            }
                            json.writeEndArray();
                        } else {
                            json.writeStringField(field.getKey(), field.getValue().toString());
                        }
                    }
                    json.writeEndObject();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                out.println();
            }
        };
    }

    abstract void print(RecipientDecision decision);

    /** Field name to a String, or to a List of Strings (the relay hosts). */
    static Map<String, Object> fields(RecipientDecision decision) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("address", decision.address());
        fields.put("rewritten", decision.rewritten());
        decision.rewriteRule().ifPresent(rule -> fields.put("rewriteRule", rule));
        decision.sender().ifPresent(sender -> fields.put("sender", sender));
        decision.rewrittenSender().ifPresent(sender -> fields.put("rewrittenSender", sender));
        NextHop nextHop = decision.route().nextHop();
        fields.put("type", nextHop.type().label());
        fields.put("target", nextHop.target());
        if (!nextHop.relayHosts().isEmpty()) {
            fields.put("hosts", nextHop.relayHosts().stream().map(RelayHost::toString).collect(Collectors.toList()));
        }
        fields.put("rule", decision.route().rule());
        decision.alias().ifPresent(alias -> putAlias(fields, alias));
        return fields;
    }

    private static void putAlias(Map<String, Object> fields, AliasResult alias) {
        if (alias.isFound()) {
            fields.put("alias", alias.unixUser());
            fields.put("aliasRule", alias.rule());
        } else {
            fields.put("aliasStatus", alias.status());
            fields.put("aliasReason", alias.reason());
        }
    }

    private static String textOf(Object value) {
        return value instanceof List
            ? ((List<?>) value).stream().map(Object::toString).collect(Collectors.joining(","))
            : value.toString();
    }

    private static String quotedIfNeeded(String value) {
        if (!value.isEmpty() && value.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\\')) {
            return value;
        }
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
