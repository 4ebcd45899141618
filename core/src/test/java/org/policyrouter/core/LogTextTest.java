package org.policyrouter.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void leavesPrintableTextAsItIs() {
        String text = "RCPT TO:<jörg@example.com> ok";
        assertThat(LogText.escape(text)).isSameAs(text);
    }

    @Test
    void escapesNulEscapeAndLineBreaks() {
        assertThat(LogText.escape("a\u0000b\u001b[31mc\r\nd\te\u007f")).isEqualTo("a\\x00b\\x1b[31mc\\x0d\\x0ad\\x09e\\x7f");
    }

    @Test
    void escapesC1AndUnicodeLineSeparators() {
        assertThat(LogText.escape("a\u0085b\u2028c\u2029")).isEqualTo("a\\x85b\\u2028c\\u2029");
    }

    @Test
    void keepsTheLinesOfAStackTraceButNotTheCarriageReturnsInside() {
        assertThat(LogText.escapeKeepingLines("java.lang.Exception: bad\u0000 <x\ry>\n\tat Foo.bar(Foo.java:1)\n"))
            .isEqualTo("java.lang.Exception: bad\\x00 <x\\x0dy>\n\tat Foo.bar(Foo.java:1)\n");
    }

    @Test
    void nullIsPrintedAsNull() {
        assertThat(LogText.escape(null)).isEqualTo("null");
    }
}
