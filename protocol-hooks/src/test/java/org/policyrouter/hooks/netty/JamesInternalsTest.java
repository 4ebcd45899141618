package org.policyrouter.hooks.netty;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JamesInternalsTest {
    private static final String TRANSPORT = "org.apache.james.protocols.netty.NettyProtocolTransport";
    private static final String FRAMER = "io.netty.handler.codec.LineBasedFrameDecoder";
    private static final String SESSION = "org.apache.james.protocols.smtp.SMTPSessionImpl";
    private static final String SESSION_WITH_TRANSPORT = "org.apache.james.protocols.api.ProtocolSessionImpl";

    @Test
    void everyCapabilityIsAvailableOnJames381() {
        JamesInternals internals = JamesInternals.probed();

        assertThat(internals.report()).containsExactly(
            "policyrouter: James internals: channel access available (NettyProtocolTransport.channel)",
            "policyrouter: James internals: line framer state available (LineBasedFrameDecoder.discarding)",
            "policyrouter: James internals: session transport available (SMTPSessionImpl is a ProtocolSessionImpl)");
        assertThat(internals.channelField()).isPresent();
        assertThat(internals.framerStateField()).isPresent();
        assertThat(internals.hasSessionTransport()).isTrue();
        assertThat(SessionChannel.isReachable()).isTrue();
    }

    @Test
    void aMissingFieldIsReportedWithItsFallbackInsteadOfThrowing() {
        JamesInternals internals = new JamesInternals(
            JamesInternals.field(TRANSPORT, "renamedChannel"),
            JamesInternals.field(FRAMER, "discarding"),
            JamesInternals.subclass(SESSION, SESSION_WITH_TRANSPORT));

        assertThat(internals.channelField()).isEmpty();
        assertThat(internals.report().get(0))
            .startsWith("policyrouter: James internals: channel access unavailable (java.lang.NoSuchFieldException: renamedChannel) — ")
            .contains("spp plugins and the held 250 run on the I/O threads")
            .contains("earlytalker does not delay the greeting");
        assertThat(internals.report().get(1)).endsWith("available (LineBasedFrameDecoder.discarding)");
    }

    @Test
    void aMissingClassIsReportedLikeAMissingField() {
        JamesInternals internals = new JamesInternals(
            JamesInternals.field("org.apache.james.protocols.netty.GoneTransport", "channel"),
            JamesInternals.field(FRAMER, "noSuchState"),
            JamesInternals.subclass(SESSION, "java.lang.String"));

        assertThat(internals.report()).allSatisfy(line -> assertThat(line).contains(" unavailable ("));
        assertThat(internals.report().get(0)).contains("ClassNotFoundException: org.apache.james.protocols.netty.GoneTransport");
        assertThat(internals.report().get(1)).contains("SMTP lines stay limited to James's 8,192 bytes");
        assertThat(internals.report().get(2)).contains("does not extend java.lang.String").contains("spp P lines and D are not sent");
        assertThat(internals.framerStateField()).isEmpty();
        assertThat(internals.hasSessionTransport()).isFalse();
    }
}
