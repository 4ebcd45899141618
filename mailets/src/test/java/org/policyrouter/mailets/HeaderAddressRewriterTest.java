package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.junit.jupiter.api.Test;
import org.policyrouter.spool.MessageBytes;

class HeaderAddressRewriterTest {
    private static final UnaryOperator<String> SERVERS_TO_COMPANY =
        a -> a.toLowerCase().endsWith(".servers.company.foo") ? a.substring(0, a.indexOf('@') + 1) + "company.foo" : a;

    @Test
    void rewritesOnlyTheAddressKeepingDisplayNameAndEncodedWords() {
        assertThat(HeaderAddressRewriter.rewriteValue("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <cron@db1.servers.company.foo>", SERVERS_TO_COMPANY))
            .isEqualTo("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <cron@company.foo>");
    }

    @Test
    void leavesQuotedDisplayNamesAndCommentsAloneEvenWhenTheyLookLikeTheAddress() {
        assertThat(HeaderAddressRewriter.rewriteValue("\"cron@db1.servers.company.foo\" <cron@db1.servers.company.foo> (cron@db1.servers.company.foo)", SERVERS_TO_COMPANY))
            .isEqualTo("\"cron@db1.servers.company.foo\" <cron@company.foo> (cron@db1.servers.company.foo)");
    }

    @Test
    void rewritesEachMatchingAddressOfAListAndKeepsTheOthersAndTheFolding() {
        assertThat(HeaderAddressRewriter.rewriteValue("a@x.servers.company.foo,\r\n\tBob <bob@other.example>, c@y.servers.company.foo", SERVERS_TO_COMPANY))
            .isEqualTo("a@company.foo,\r\n\tBob <bob@other.example>, c@company.foo");
    }

    @Test
    void doesNotTouchALongerAddressThatContainsTheOne() {
        assertThat(HeaderAddressRewriter.rewriteValue("xa@b.servers.company.foo.example, a@b.servers.company.foo",
            SERVERS_TO_COMPANY)).isEqualTo("xa@b.servers.company.foo.example, a@company.foo");
    }

    @Test
    void rewritesTheMembersOfAGroupAndABareAddressWithAComment() {
        assertThat(HeaderAddressRewriter.rewriteValue("Ops team: a@x.servers.company.foo, B <b@y.servers.company.foo>;, c@z.servers.company.foo (cron)",
            SERVERS_TO_COMPANY)).isEqualTo("Ops team: a@company.foo, B <b@company.foo>;, c@company.foo (cron)");
    }

    @Test
    void dropsNothingOfASourceRoute() {
        assertThat(HeaderAddressRewriter.rewriteValue("<@relay.example:a@x.servers.company.foo>", SERVERS_TO_COMPANY))
            .isEqualTo("<@relay.example:a@company.foo>");
    }

    @Test
    void leavesAnUnparseableHeaderAsItIs() {
        assertThat(HeaderAddressRewriter.rewriteValue("<<<broken @@ x.servers.company.foo", SERVERS_TO_COMPANY))
            .isEqualTo("<<<broken @@ x.servers.company.foo");
    }

    @Test
    void rewritesTwentyThousandAddressesOfOneHeader() {
        StringBuilder header = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            String separator = i == 0 ? "" : ",\r\n ";
            header.append(separator).append("jörg").append(i).append(" <u").append(i).append("@h").append(i % 7).append(".servers.company.foo>");
            expected.append(separator).append("jörg").append(i).append(" <u").append(i).append("@company.foo>");
        }
        assertThat(HeaderAddressRewriter.rewriteValue(header.toString(), SERVERS_TO_COMPANY)).isEqualTo(expected.toString());
    }

    /**
     * A message as James hands it over (its wrapper over the bytes received), written as the spool and
     * the delivery agents write it: the 8-bit headers byte for byte, every header in its place (JavaMail's
     * setHeader in James's header list moves a header above Received:), its name spelled as received.
     */
    @Test
    void keepsUtf8HeadersTheirOrderAndSpellingOnlyTheAddressesChange() throws Exception {
        String original = "Received: from client.example by mx.example; Thu, 1 Jan 2026 00:00:00 +0000\r\n"
            + "From: Jörg Müller <cron@db1.servers.company.foo>\r\n"
            + "Subject: Grüße\r\n"
            + "TO: jörg <j@x.servers.company.foo>, Zoë <z@other.example>\r\n"
            + "Cc: =?UTF-8?Q?Zo=C3=AB?= <z@y.servers.company.foo>\r\n"
            + "\r\n"
            + "body ö\r\n";
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("m", new ByteArrayInputStream(original.getBytes(StandardCharsets.UTF_8))));

        assertThat(HeaderAddressRewriter.rewrite(message, SERVERS_TO_COMPANY, SERVERS_TO_COMPANY)).isTrue();

        assertThat(written(message)).isEqualTo(original
            .replace("<cron@db1.servers.company.foo>", "<cron@company.foo>")
            .replace("<j@x.servers.company.foo>", "<j@company.foo>")
            .replace("<z@y.servers.company.foo>", "<z@company.foo>"));
    }

    @Test
    void aMessageWithoutAnAddressToRewriteIsLeftUntouched() throws Exception {
        String original = "From: Jörg <a@client.example>\r\nTo: b@other.example\r\n\r\nbody\r\n";
        MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("m", new ByteArrayInputStream(original.getBytes(StandardCharsets.UTF_8))));

        assertThat(HeaderAddressRewriter.rewrite(message, SERVERS_TO_COMPANY, SERVERS_TO_COMPANY)).isFalse();
        assertThat(message.isModified()).isFalse();
        assertThat(written(message)).isEqualTo(original);
    }

    private static String written(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageBytes.writeTo(message, out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
