package org.policyrouter.policy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.policyrouter.policy.PolicyDirectory;

/**
 * Issue 19, item 4: {@code queue/transport} made every such mail recurse to a StackOverflowError,
 * and {@code check} accepted it. A {@code queue/} next hop that hands mail back to a processor
 * that routes it again is refused, with its line; other processors stay allowed.
 */
class RoutingLoopCheckTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return PolicyRouterCli.run(Arrays.asList(args), new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> errLines() {
        String text = err.toString(StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }

    @Test
    void refusesQueueNextHopsBackIntoTheRoutingProcessors() {
        new PolicyDirectory(dir).write("variables", "again queue/transport")
            .write("transport", "loop.example queue/transport", "root.example queue/root", "robots.example queue/robots",
                "routed.example queue/routed", "via.example $again", "later.example queue/deferred");

        assertThat(run("check", dir.toString())).isEqualTo(1);

        assertThat(errLines()).containsExactly(
            "transport:1: next hop 'queue/transport' hands the mail back to the routing processor 'transport', which routes it here again:"
                + " a routing loop (routing processors: root, transport, routed, deferred)",
            "transport:2: next hop 'queue/root' hands the mail back to the routing processor 'root', which routes it here again:"
                + " a routing loop (routing processors: root, transport, routed, deferred)",
            "transport:4: next hop 'queue/routed' hands the mail back to the routing processor 'routed', which routes it here again:"
                + " a routing loop (routing processors: root, transport, routed, deferred)",
            "transport:5: next hop 'queue/transport' hands the mail back to the routing processor 'transport', which routes it here again:"
                + " a routing loop (routing processors: root, transport, routed, deferred)",
            "transport:6: next hop 'queue/deferred' hands the mail back to the routing processor 'deferred', which routes it here again:"
                + " a routing loop (routing processors: root, transport, routed, deferred)",
            dir + ": 5 errors");
    }

    @Test
    void acceptsQueueNextHopsToOtherProcessors() {
        new PolicyDirectory(dir).write("transport", "robots.example queue/robots", "lists.example queue/Transport");

        assertThat(run("check", dir.toString())).isZero();
        assertThat(errLines()).isEmpty();
    }

    @Test
    void theRoutingProcessorsCanBeNamedForAnotherProcessorChain() {
        new PolicyDirectory(dir).write("transport", "loop.example queue/my-router", "ok.example queue/transport");

        assertThat(run("check", "--routing-processors", "root,my-router", dir.toString())).isEqualTo(1);
        assertThat(errLines()).first().asString().startsWith("transport:1: next hop 'queue/my-router' hands the mail back");
        assertThat(errLines()).hasSize(2);
    }

    @Test
    void checkAppliesTheServersTableSizeLimitOrTheOneGiven() {
        new PolicyDirectory(dir).write("transport", "a.example 10.0.0.1");

        assertThat(run("check", "--max-table-size", "8", dir.toString())).isEqualTo(1);
        assertThat(errLines()).first().isEqualTo("transport:1: file is 19 bytes, larger than the limit of 8 bytes per table (maxTableSize): not read");
        assertThat(run("check", "--max-table-size", "1k", dir.toString())).isZero();
    }
}
