package org.policyrouter.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineTest {
    @Test
    void splitsOnWhiteSpaceAndHonoursQuotesLikeAShellWithoutExpandingAnything() {
        assertThat(CommandLine.split("  /usr/bin/robot  --name \"two words\" 'single $HOME' a\\ b \"esc \\\" q\" $PATH `id` "))
            .containsExactly("/usr/bin/robot", "--name", "two words", "single $HOME", "a b", "esc \" q", "$PATH", "`id`");
    }

    @Test
    void joinsAdjacentQuotedPartsIntoOneWord() {
        assertThat(CommandLine.split("a'b'\"c\"d")).containsExactly("abcd");
        assertThat(CommandLine.split("''")).containsExactly("");
    }

    @Test
    void rejectsUnterminatedQuotes() {
        assertThatThrownBy(() -> CommandLine.split("robot 'open")).hasMessage("unterminated quote (') in 'robot 'open'");
        assertThatThrownBy(() -> CommandLine.split("robot \"open")).hasMessage("unterminated quote (\") in 'robot \"open'");
        assertThatThrownBy(() -> CommandLine.split("robot \\")).hasMessage("trailing backslash in 'robot \\'");
    }
}
