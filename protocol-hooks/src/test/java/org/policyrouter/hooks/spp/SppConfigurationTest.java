package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.XMLConfiguration;
import org.apache.commons.configuration2.io.FileHandler;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.junit.jupiter.api.Test;

class SppConfigurationTest {
    static HierarchicalConfiguration<ImmutableNode> handler(String xml) throws Exception {
        XMLConfiguration configuration = new XMLConfiguration();
        new FileHandler(configuration).load(new StringReader("<handlerchain>" + xml + "</handlerchain>"));
        return configuration.configurationsAt("handler").get(0);
    }

    @Test
    void defaultsSuitTheBundledDistribution() throws Exception {
        SppConfiguration config = SppConfiguration.read(handler("<handler class=\"x\"/>"), Path.of("/opt/james"));

        assertThat(config.smtpplugins).isEqualTo(Path.of("/opt/james/conf/smtpplugins"));
        assertThat(config.home).isEqualTo(Path.of("/opt/james"));
        assertThat(config.timeout).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.maxOutputBytes).isEqualTo(65536);
        assertThat(config.clientEnvironment.forClient(InetAddress.getByName("192.0.2.1")))
            .containsExactly(java.util.Map.entry("PATH", SppConfiguration.DEFAULT_PATH));
    }

    @Test
    void readsVariablesForEveryoneAndPerClientNetwork() throws Exception {
        SppConfiguration config = SppConfiguration.read(handler("<handler class=\"x\">"
            + "<smtpplugins>/etc/spp/smtpplugins</smtpplugins><home>/var/qmail</home><timeout>500ms</timeout>"
            + "<environment><variable name=\"PATH\">/bin</variable><variable name=\"TARPITCOUNT\">50</variable></environment>"
            + "<client network=\"10.0.0.0/8\"><variable name=\"RELAYCLIENT\"/><variable name=\"TARPITCOUNT\">5</variable></client>"
            + "</handler>"), Path.of("/opt/james"));

        assertThat(config.smtpplugins).isEqualTo(Path.of("/etc/spp/smtpplugins"));
        assertThat(config.home).isEqualTo(Path.of("/var/qmail"));
        assertThat(config.timeout).isEqualTo(Duration.ofMillis(500));
        assertThat(config.clientEnvironment.forClient(InetAddress.getByName("10.1.1.1")))
            .containsEntry("PATH", "/bin").containsEntry("RELAYCLIENT", "").containsEntry("TARPITCOUNT", "5");
        assertThat(config.clientEnvironment.forClient(InetAddress.getByName("192.0.2.1"))).containsEntry("TARPITCOUNT", "50");
    }

    @Test
    void namesTheElementOfAMistake() {
        assertThatThrownBy(() -> SppConfiguration.read(handler("<handler><client network=\"example.com\"/></handler>"), Path.of("/")))
            .hasMessageContaining("<client network=\"example.com\">");
        assertThatThrownBy(() -> SppConfiguration.read(handler("<handler><timeout>soon</timeout></handler>"), Path.of("/")))
            .hasMessageContaining("timeout");
        assertThatThrownBy(() -> SppConfiguration.read(handler("<handler><environment><variable>x</variable></environment></handler>"), Path.of("/")))
            .hasMessageContaining("needs a name");
        assertThatThrownBy(() -> SppConfiguration.read(new BaseHierarchicalConfiguration() {{ addProperty("maxOutputBytes", "10"); }}, Path.of("/")))
            .hasMessageContaining("maxOutputBytes");
    }

    @Test
    void pluginsRunAsNobodyUnlessConfiguredAndNeverAsRoot() throws Exception {
        assertThat(SppConfiguration.read(handler("<handler class=\"x\"/>"), Path.of("/")).user.uid()).isEqualTo(65534);
        assertThat(SppConfiguration.read(handler("<handler><user>daemon:mail</user></handler>"), Path.of("/")).user.gid()).isEqualTo(8);
        assertThatThrownBy(() -> SppConfiguration.read(handler("<handler><user>root</user></handler>"), Path.of("/")))
            .hasMessageContaining("spp: <user>: unix user 'root' has uid 0");
        assertThatThrownBy(() -> SppConfiguration.read(handler("<handler><user>no-such-user-xq</user></handler>"), Path.of("/")))
            .hasMessageContaining("spp: <user>: unknown unix user");
    }
}
