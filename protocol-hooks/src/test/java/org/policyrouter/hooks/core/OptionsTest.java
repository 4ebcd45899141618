package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void pluginArgumentsAndXmlSpellingsAreOneOption() {
        Options options = Options.fromPluginArguments(List.of("reject_type", "temp", "defer-reject", "1"), "plugins:3");
        assertThat(options.get("rejectType")).contains("temp");
        assertThat(options.flag("deferReject", false)).isTrue();
    }

    @Test
    void anOddWordListStaysPositional() {
        assertThat(Options.fromPluginArguments(List.of("4"), "plugins:1").positional()).containsExactly("4");
    }

    @Test
    void durationsAreSecondsAsInQpsmtpd() {
        Options options = Options.fromPluginArguments(List.of("wait", "1", "timeout", "0.5", "black_timeout", "500ms"), "x");
        assertThat(options.duration("wait", Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
        assertThat(options.duration("timeout", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(options.duration("black_timeout", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aBadValueIsReportedWithItsOrigin() {
        Options options = Options.fromPluginArguments(List.of("wait", "soon"), "conf/qpsmtpd/plugins:4 (earlytalker)");
        assertThatThrownBy(() -> options.duration("wait", Duration.ZERO))
            .hasMessageStartingWith("conf/qpsmtpd/plugins:4 (earlytalker): option wait = \"soon\"");
    }

    @Test
    void rejectTypesMapToReturnCodes() {
        assertThat(Rejection.from("x", Options.fromPluginArguments(List.of("reject_type", "temp"), "x"), ReturnCode.DENY).type())
            .isEqualTo(ReturnCode.DENYSOFT);
        assertThat(Rejection.from("x", Options.fromPluginArguments(List.of("reject_type", "disconnect"), "x"), ReturnCode.DENY).type())
            .isEqualTo(ReturnCode.DENY_DISCONNECT);
        assertThat(Rejection.from("x", Options.empty(), ReturnCode.DENY).type()).isEqualTo(ReturnCode.DENY);
    }

    @Test
    void rejectNaughtyNotesTheRejectionInsteadOfRejecting() {
        FakeConnection connection = FakeConnection.from("192.0.2.1");
        Rejection naughty = Rejection.from("badmailfrom", Options.fromPluginArguments(List.of("reject", "naughty"), "x"), ReturnCode.DENY);

        assertThat(naughty.reject(connection, "Your envelope sender is in my badmailfrom list", "7.1", "test")).isEqualTo(Verdict.DECLINED);
        assertThat(connection.connectionNotes().string(Rejection.NAUGHTY)).contains("Your envelope sender is in my badmailfrom list");
    }
}
