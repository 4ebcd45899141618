package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;

/** qpsmtpd's reply codes per stage, with the enhanced status James's EHLO promises. */
class VerdictRepliesTest {
    private static String reply(Stage stage, Verdict verdict) {
        HookResult result = QpsmtpdHandler.toHookResult(stage, verdict);
        return result.getSmtpRetCode() + " " + result.getSmtpDescription();
    }

    @Test
    void mailAndRcptAnswer550And450And421() {
        assertThat(reply(Stage.MAIL, Verdict.deny("Your envelope sender is in my badmailfrom list", "7.1")))
            .isEqualTo("550 5.7.1 Your envelope sender is in my badmailfrom list");
        assertThat(reply(Stage.RCPT, Verdict.denySoft("This mail is temporarily denied", "7.1")))
            .isEqualTo("450 4.7.1 This mail is temporarily denied");
        assertThat(reply(Stage.RCPT, Verdict.of(ReturnCode.DENYSOFT_DISCONNECT, null, "7.1"))).isEqualTo("421 4.7.1 relaying denied");
        assertThat(QpsmtpdHandler.toHookResult(Stage.RCPT, Verdict.of(ReturnCode.DENY_DISCONNECT, "x", "7.1")).getResult().isDisconnected()).isTrue();
    }

    @Test
    void unrecognizedCommandsAnswer500And521() {
        assertThat(reply(Stage.UNRECOGNIZED, Verdict.of(ReturnCode.DENY_DISCONNECT, "Closing connection", "5.1")))
            .isEqualTo("521 5.5.1 Closing connection");
    }

    @Test
    void greetingStagesCarryNoEnhancedStatus() {
        assertThat(Stage.CONNECT.replyText(Verdict.denySoft("Connecting host started transmitting before SMTP greeting", "7.1")))
            .isEqualTo("Connecting host started transmitting before SMTP greeting");
        assertThat(Stage.PRE_CONNECTION.replyCode(ReturnCode.DENYSOFT)).isEqualTo("451");
        assertThat(Verdict.deny("x", null).asPreConnection().connectStage()).isEqualTo(Stage.PRE_CONNECTION);
    }

    @Test
    void declinedAndOkPassThrough() {
        assertThat(QpsmtpdHandler.toHookResult(Stage.RCPT, Verdict.DECLINED)).isEqualTo(HookResult.DECLINED);
        assertThat(QpsmtpdHandler.toHookResult(Stage.RCPT, Verdict.OK)).isEqualTo(HookResult.OK);
    }

    @Test
    void onlyRelayControlMayAccept() {
        QpsmtpdHandler overeager = new QpsmtpdHandler() {
            @Override
            public String pluginName() {
                return "overeager";
            }

            @Override
            public void configure(CheckEnvironment environment) {
            }

            @Override
            public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
                return Verdict.OK;
            }
        };

        assertThat(overeager.checkRcpt(FakeConnection.from("192.0.2.1"), EnvelopeAddress.parse("a@foreign.example"))).isEqualTo(Verdict.DECLINED);
    }

    @Test
    void aCheckThatFailsIsSkipped() {
        QpsmtpdHandler broken = new QpsmtpdHandler() {
            @Override
            public String pluginName() {
                return "broken";
            }

            @Override
            public void configure(CheckEnvironment environment) {
            }

            @Override
            public Verdict mail(Connection connection, EnvelopeAddress sender) {
                throw new IllegalStateException("boom");
            }
        };

        assertThat(broken.checkMail(FakeConnection.from("192.0.2.1"), EnvelopeAddress.parse("a@b.example"))).isEqualTo(Verdict.DECLINED);
    }
}
