package org.policyrouter.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19's fault run: the archive kept every failed message whole (4.8 GB of an 8 GB spool) and
 * the spool could not drain. {@link SpoolMailRepository#storeWithin} keeps a repository within a
 * budget, the oldest mails going first, also across a restart.
 */
class SpoolMailRepositoryBudgetTest {
    static final String URL = "spool://var/spool/archive";
    static final int BODY = 10_000;

    @TempDir
    Path home;

    static Mail mail(String name) throws Exception {
        return MailImpl.builder().name(name).sender("sender@client.example").addRecipient("gone@relay.example")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject(name).setText("x".repeat(BODY))).build();
    }

    static List<String> keys(SpoolMailRepository repository) {
        List<String> keys = new ArrayList<>();
        repository.list().forEachRemaining(key -> keys.add(key.asString()));
        keys.sort(null);
        return keys;
    }

    @Test
    void theOldestMailsMakeRoomForTheNewOnesAndTheBytesOnDiskStayWithinTheBudget() throws Exception {
        SpoolMailRepository archive = SpoolMailRepositoryContractTest.open(home, URL);
        long budget = 3 * BODY + 3 * 2_000;

        for (int i = 1; i <= 5; i++) {
            archive.storeWithin(mail("m" + i), budget);
        }

        assertThat(keys(archive)).containsExactly("m3", "m4", "m5");
        long onDisk;
        try (Stream<Path> files = Files.list(home.resolve("var/spool/archive"))) {
            onDisk = files.mapToLong(file -> file.toFile().length()).sum();
        }
        assertThat(onDisk).isEqualTo(archive.bytes()).isLessThanOrEqualTo(budget);
    }

    @Test
    void aMailLargerThanTheWholeBudgetIsRefusedAndNothingIsRemovedForIt() throws Exception {
        SpoolMailRepository archive = SpoolMailRepositoryContractTest.open(home, URL);
        archive.storeWithin(mail("small"), 100_000);

        assertThatThrownBy(() -> archive.storeWithin(mail("large"), 5_000)).isInstanceOf(MessagingException.class)
            .hasMessageContaining("larger than the whole budget");
        assertThat(keys(archive)).containsExactly("small");
    }

    @Test
    void afterARestartTheOldestOnDiskGoFirst() throws Exception {
        SpoolMailRepository before = SpoolMailRepositoryContractTest.open(home, URL);
        before.store(mail("newer"));
        before.store(mail("older"));
        // the file times decide the order after a restart
        try (Stream<Path> files = Files.list(home.resolve("var/spool/archive"))) {
            for (Path file : (Iterable<Path>) files::iterator) {
                boolean older = Files.readString(file, StandardCharsets.ISO_8859_1).contains("Subject: older");
                Files.setLastModifiedTime(file, FileTime.fromMillis(older ? 1_000_000L : 2_000_000L));
            }
        }

        SpoolMailRepository after = SpoolMailRepositoryContractTest.open(home, URL);
        assertThat(after.bytes()).isEqualTo(before.bytes());
        after.storeWithin(mail("newest"), after.bytes() + 1_000);

        assertThat(keys(after)).containsExactly("newer", "newest");
    }
}
