package org.policyrouter.it.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.apache.james.GuiceJamesServer;
import org.apache.james.JamesServerExtension;
import org.apache.james.dnsservice.api.DNSService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.policyrouter.it.PolicyRouterJames;
import org.policyrouter.it.SmtpConversation;

/**
 * Variables given per client network in the handler's configuration, as tcprules lines would give
 * them: NOSPP turns plugins off, SPPCONFFILE picks another plugin list. Clients come from
 * different loopback addresses (127.0.0.2 and 127.0.0.3 are bound on the client side). Here
 * TCPREMOTEHOST is looked up, as shipped, through a DNS that knows a name for 127.0.0.1.
 */
class SppClientNetworkIT {
    static final SppPlugins PLUGINS = SppPlugins.create();

    @RegisterExtension
    static JamesServerExtension james = PLUGINS.configure(PolicyRouterJames.builder()
            .overrideModule(binder -> binder.bind(DNSService.class).toInstance(new PtrOnlyDns())),
        xml -> xml.replace("<lookupRemoteHost>false</lookupRemoteHost>", "<lookupRemoteHost>true</lookupRemoteHost>")
            .replace("<!--\n                <client network=\"192.0.2.0/24\">",
            "<client network=\"127.0.0.1\"><variable name=\"SPPCONFFILE\">" + PLUGINS.file("smtpplugins.partners") + "</variable></client>"
                + "<client network=\"127.0.0.2\"><variable name=\"NOSPP\"/></client>"
                + "<client network=\"127.0.0.3\"><variable name=\"SPPCONFFILE\">" + PLUGINS.file("missing") + "</variable></client>\n"
                + "                <!--\n                <client network=\"192.0.2.0/24\">"))
        .build();

    @Test
    void sppconffileGivesAClientNetworkItsOwnPluginList(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[mail]", ":echo E550 5.7.1 the default list");
        PLUGINS.write("smtpplugins.partners", "[mail]\n:echo E550 5.7.1 the partners list\n");

        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.readReply()).isEqualTo("220 james-policy-router ESMTP");
            smtp.command("HELO client.example");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("550 5.7.1 the partners list");
        }
    }

    @Test
    void tcpremotehostComesFromAReverseLookupOfTheClient(GuiceJamesServer server) throws Exception {
        PLUGINS.write("smtpplugins.partners", "[helo]\n:echo \"E550 5.7.1 host=${TCPREMOTEHOST-unset}\"\n");

        try (SmtpConversation smtp = SmtpConversation.connect(PolicyRouterJames.smtpPort(server))) {
            smtp.readReply();
            long start = System.nanoTime();
            assertThat(smtp.command("HELO client.example")).isEqualTo("550 5.7.1 host=client.ptr.example");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(2));
        }
    }

    @Test
    void noPluginRunsForAClientNetworkWithNospp(GuiceJamesServer server) throws Exception {
        PLUGINS.smtpplugins("[connection]", ":echo E554 5.7.1 never", "[mail]", ":echo E550 never");

        try (RawClient smtp = new RawClient("127.0.0.2", PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.reply()).isEqualTo("220 james-policy-router ESMTP");
            assertThat(smtp.command("HELO client.example")).startsWith("250 ");
            assertThat(smtp.command("MAIL FROM:<sender@example.org>")).isEqualTo("250 2.1.0 Sender <sender@example.org> OK");
        }
    }

    @Test
    void anUnreadableSppconffileClosesTheConnectionAsQmailSmtpdDoes(GuiceJamesServer server) throws Exception {
        try (RawClient smtp = new RawClient("127.0.0.3", PolicyRouterJames.smtpPort(server))) {
            assertThat(smtp.reply()).isEqualTo("421 4.3.0 unable to read controls");
            assertThat(smtp.reply()).isNull();
        }
    }

    /** The system resolver for names; a PTR record for 127.0.0.1, which test machines rarely have. */
    private static final class PtrOnlyDns implements DNSService {
        @Override
        public Collection<String> findMXRecords(String hostname) {
            return List.of();
        }

        @Override
        public Collection<String> findTXTRecords(String hostname) {
            return List.of();
        }

        @Override
        public Collection<InetAddress> getAllByName(String host) throws UnknownHostException {
            return List.of(InetAddress.getAllByName(host));
        }

        @Override
        public InetAddress getByName(String host) throws UnknownHostException {
            return InetAddress.getByName(host);
        }

        @Override
        public InetAddress getLocalHost() throws UnknownHostException {
            return InetAddress.getLocalHost();
        }

        @Override
        public String getHostName(InetAddress address) {
            // as James's dnsjava service answers: with the root's dot, which tcpserver's TCPREMOTEHOST has not
            return address.getHostAddress().equals("127.0.0.1") ? "client.ptr.example." : address.getHostAddress();
        }
    }

    /** One-line replies only; enough for these checks. */
    private static final class RawClient implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        private final OutputStream out;

        RawClient(String from, int port) throws Exception {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        String reply() throws Exception {
            return in.readLine();
        }

        String command(String line) throws Exception {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
