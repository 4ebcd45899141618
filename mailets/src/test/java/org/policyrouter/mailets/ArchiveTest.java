package org.policyrouter.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** James's repositories key mails by name and a store replaces that key: the archive never does. */
class ArchiveTest {
    boolean diskFull;
    MemoryMailRepository repository = new MemoryMailRepository() {
        @Override
        public MailKey store(Mail mail) {
            if (diskFull) {
                throw new UncheckedIOException(new IOException("No space left on device"));
            }
            return super.store(mail);
        }
    };
    Archive archive;

    @BeforeEach
    void setUp() throws Exception {
        archive = new Archive(store(), new RecordingMetricFactory());
        archive.init(FakeMailetConfig.builder().mailetName("archive").mailetContext(FakeMailContext.defaultContext())
            .setProperty("repositoryPath", "memory://var/spool/archive").build());
    }

    MailRepositoryStore store() {
        return new MailRepositoryStore() {
            @Override
            public MailRepository select(MailRepositoryUrl url) {
                return repository;
            }

            @Override
            public Optional<Protocol> defaultProtocol() {
                return Optional.empty();
            }

            @Override
            public Optional<MailRepository> get(MailRepositoryUrl url) {
                return Optional.of(repository);
            }

            @Override
            public Stream<MailRepository> getByPath(MailRepositoryPath path) {
                return Stream.of(repository);
            }

            @Override
            public Stream<MailRepositoryUrl> getUrls() {
                return Stream.empty();
            }
        };
    }

    static Mail failed(String name, String recipient) throws Exception {
        return MailImpl.builder().name(name).state("undeliverable").sender("sender@client.example").addRecipient(recipient)
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("body")).build();
    }

    List<String> keys() throws Exception {
        List<String> keys = new ArrayList<>();
        repository.list().forEachRemaining(key -> keys.add(key.asString()));
        keys.sort(null);
        return keys;
    }

    @Test
    void archivesUnderTheMailsNameAndEndsTheMail() throws Exception {
        Mail mail = failed("1A2B3C.b1", "gone@relay.example");

        archive.service(mail);

        assertThat(keys()).containsExactly("1A2B3C.b1");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(mail.getName()).isEqualTo("1A2B3C.b1");
    }

    @Test
    void aNameAlreadyArchivedIsArchivedAsNameDotTwoThenDotThreeAndNothingIsOverwritten() throws Exception {
        archive.service(failed("1A2B3C", "first@relay.example"));
        archive.service(failed("1A2B3C", "second@relay.example"));
        archive.service(failed("1A2B3C", "third@relay.example"));

        assertThat(keys()).containsExactly("1A2B3C", "1A2B3C.2", "1A2B3C.3");
        assertThat(repository.retrieve(new MailKey("1A2B3C")).getRecipients().toString()).contains("first@relay.example");
        assertThat(repository.retrieve(new MailKey("1A2B3C.2")).getRecipients().toString()).contains("second@relay.example");
        assertThat(repository.retrieve(new MailKey("1A2B3C.3")).getRecipients().toString()).contains("third@relay.example");
    }

    /** Kept for a retry, it would be reported to its sender again at every retry and hold the spool's disk. */
    @Test
    void aMailThatCannotBeArchivedEndsAllTheSameInsteadOfFailing() throws Exception {
        diskFull = true;
        Mail mail = failed("1A2B3C.b1", "gone@relay.example");

        archive.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(keys()).isEmpty();
    }

    @Test
    void aSizeLimitOnARepositoryThatCannotKeepOneIsAConfigurationError() {
        assertThatThrownBy(() -> new Archive(store(), new RecordingMetricFactory()).init(FakeMailetConfig.builder().mailetName("archive")
            .mailetContext(FakeMailContext.defaultContext()).setProperty("repositoryPath", "memory://var/spool/archive")
            .setProperty("maxSize", "1G").build()))
            .isInstanceOf(MessagingException.class).hasMessageContaining("maxSize needs a spool:// repository");
    }
}
