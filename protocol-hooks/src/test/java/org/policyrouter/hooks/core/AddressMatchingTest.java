package org.policyrouter.hooks.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class AddressMatchingTest {
    private static List<ControlLine> lines(String... texts) {
        return Stream.of(texts).map(text -> new ControlLine(text, Path.of("test"), 1)).collect(Collectors.toList());
    }

    private static boolean listed(AddressList list, String address) {
        return list.firstMatch(EnvelopeAddress.parse(address)).isPresent();
    }

    @Test
    void fullAddressesMatchCaseInsensitively() {
        AddressList list = AddressList.parse(lines("Spammer@Bad.Example"));
        assertThat(listed(list, "SPAMMER@bad.example")).isTrue();
        assertThat(listed(list, "other@bad.example")).isFalse();
    }

    @Test
    void atHostMatchesThatHostOnly() {
        AddressList list = AddressList.parse(lines("@bulk.example"));
        assertThat(listed(list, "anyone@BULK.example")).isTrue();
        assertThat(listed(list, "anyone@news.bulk.example")).isFalse();
    }

    @Test
    void entriesWithRegexCharactersAreSearchedAsRegexes() {
        AddressList list = AddressList.parse(lines("^return.*@.*\\.pidplate\\.biz$ reason", "%"));
        assertThat(listed(list, "return-1@mx.pidplate.biz")).isTrue();
        assertThat(listed(list, "user%other@example")).isTrue();
        assertThat(listed(list, "user@pidplate.biz")).isFalse();
        assertThat(list.firstMatch(EnvelopeAddress.parse("return-1@mx.pidplate.biz")).get().reason()).contains("reason");
    }

    @Test
    void theNullSenderNeverMatches() {
        assertThat(listed(AddressList.parse(lines(".*")), "")).isFalse();
    }

    @Test
    void refusesEntriesWithoutAnAtSignOrWithARegexRe2jRejects() {
        assertThatThrownBy(() -> AddressList.parse(lines("nobody"))).hasMessageContaining("needs an @ sign");
        assertThatThrownBy(() -> AddressList.parse(lines("^(a)\\1$"))).hasMessageContaining("RE2J");
    }
}
