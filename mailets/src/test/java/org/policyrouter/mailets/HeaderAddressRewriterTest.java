package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

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
        assertThat(HeaderAddressRewriter.replaceAddrSpec("xa@b.example, a@b.example", "a@b.example", "a@c.example"))
            .isEqualTo("xa@b.example, a@c.example");
    }

    @Test
    void leavesAnUnparseableHeaderAsItIs() {
        assertThat(HeaderAddressRewriter.rewriteValue("<<<broken @@ x.servers.company.foo", SERVERS_TO_COMPANY))
            .isEqualTo("<<<broken @@ x.servers.company.foo");
    }
}
