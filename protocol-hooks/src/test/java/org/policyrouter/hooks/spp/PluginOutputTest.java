package org.policyrouter.hooks.spp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class PluginOutputTest {
    private static PluginOutput output(String... lines) {
        return PluginOutput.parse(List.of(lines), false);
    }

    @Test
    void readsTheReadmeExampleInOrder() {
        PluginOutput output = output("Cspam@myhost.com", "HX-Spam-Flag: YES", "Sspam=1", "A");

        assertThat(output.commands()).extracting(PluginCommand::kind).containsExactly(
            PluginCommand.Kind.CHANGE, PluginCommand.Kind.HEADER, PluginCommand.Kind.SET, PluginCommand.Kind.ACCEPT);
        assertThat(output.commands().get(0).value()).isEqualTo("spam@myhost.com");
        assertThat(output.commands().get(1).value()).isEqualTo("X-Spam-Flag: YES");
        assertThat(output.commands().get(2).variable()).isEqualTo("spam");
        assertThat(output.commands().get(2).value()).isEqualTo("1");
        assertThat(output.problems()).isEmpty();
    }

    @Test
    void ignoresEverythingAfterATerminatingCommand() {
        PluginOutput output = output("P250-hello", "E550 5.7.1 go away", "Sx=1", "N");

        assertThat(output.commands()).extracting(PluginCommand::kind).containsExactly(PluginCommand.Kind.PRINT, PluginCommand.Kind.ERROR);
        assertThat(output.terminator().get().reply().asFinal()).isEqualTo("550 5.7.1 go away");
    }

    @Test
    void messagesMustCarryTheirOwnReplyCode() {
        PluginOutput output = output("Eno code here", "LRlater without code", "E250 not a rejection", "N");

        assertThat(output.commands()).extracting(PluginCommand::kind).containsExactly(PluginCommand.Kind.NEXT);
        assertThat(output.problems()).hasSize(3);
        assertThat(output.problems().get(0)).contains("must start with an SMTP reply code");
        assertThat(output.problems().get(2)).contains("4xx or 5xx");
    }

    @Test
    void queuesLaterErrorsForMailRcptAndData() {
        PluginOutput output = output("LM550 mail later", "LR553 rcpt later", "LD554 data later", "LX550 nothing");

        assertThat(output.commands()).extracting(PluginCommand::laterSection).containsExactly(Section.MAIL, Section.RCPT, Section.DATA);
        assertThat(output.problems()).hasSize(1);
    }

    @Test
    void refusesHeadersWithoutANameOrWithControlCharacters() {
        PluginOutput output = output("H continuation line", "HNoColon", "HX-Bad: a\rInjected: yes", "HX-Good: value\twith tab", ": empty name");

        assertThat(output.commands()).extracting(PluginCommand::value).containsExactly("X-Good: value\twith tab");
        assertThat(output.problems()).hasSize(4);
    }

    @Test
    void cutsATrailingCarriageReturnAndSkipsEmptyLines() {
        PluginOutput output = output("", "E451 4.7.1 try later\r");

        assertThat(output.terminator().get().reply().asFinal()).isEqualTo("451 4.7.1 try later");
    }

    @Test
    void reportsGarbageAndGoesOn() {
        PluginOutput output = output("\u0000\u0001binary", "Zunknown", "Snovalue", "U", "P550");

        assertThat(output.commands()).extracting(PluginCommand::kind).containsExactly(PluginCommand.Kind.PRINT);
        assertThat(output.problems()).hasSize(4);
        assertThat(output.problems().get(0)).contains("\\x00\\x01binary");
    }

    @Test
    void aRejectionWithAContinuationMarkIsSentAsAFinalLine() {
        PluginOutput output = output("E550-5.7.1 half a reply");

        assertThat(output.terminator().get().reply().asFinal()).isEqualTo("550 5.7.1 half a reply");
    }

    @Test
    void changeTakesTheAddressWithOrWithoutBrackets() {
        assertThat(output("C<a@b.example>").commands().get(0).value()).isEqualTo("a@b.example");
        assertThat(output("C").commands().get(0).value()).isEmpty();
    }
}
