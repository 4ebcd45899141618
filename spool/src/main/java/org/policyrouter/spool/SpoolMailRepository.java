package org.policyrouter.spool;

import java.io.File;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.lifecycle.api.Configurable;
import org.apache.james.mailrepository.api.Initializable;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's deferred and archive queues as a James MailRepository (protocol {@code spool} in
 * mailrepositorystore.xml, e.g. {@code spool://var/spool/deferred}): one durable file per mail,
 * an in-memory index of envelopes and retry bookkeeping rebuilt at start, corrupt files moved to
 * the spool's {@code corrupt/} directory. WebAdmin's /mailRepositories routes work on it as on
 * any repository.
 *
 * <pre>{@code
 * <mailrepository class="org.policyrouter.spool.SpoolMailRepository">
 *   <protocols><protocol>spool</protocol></protocols>
 *   <config fsync="true"/>   <!-- false only for tests and benchmarks: gives up crash safety -->
 * </mailrepository>
 * }</pre>
 */
public class SpoolMailRepository implements MailRepository, Configurable, Initializable {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private static final Comparator<StoredMail> BY_NEXT_ATTEMPT = Comparator
        .comparingLong((StoredMail mail) -> mail.nextAttempt().orElse(Long.MAX_VALUE))
        .thenComparing(mail -> mail.key().asString());

    private final FileSystem fileSystem;
    private final Map<MailKey, StoredMail> index = new ConcurrentHashMap<>();
    private final NavigableSet<StoredMail> schedule = new ConcurrentSkipListSet<>(BY_NEXT_ATTEMPT);
    private final ReentrantLock[] locks = new ReentrantLock[64];
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicReference<SpoolRunner> runner = new AtomicReference<>();
    private MailRepositoryUrl url;
    private boolean fsync = true;
    private SpoolDirectory directory;

    @Inject
    public SpoolMailRepository(FileSystem fileSystem) {
        this.fileSystem = fileSystem;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    @Override
    public void configure(HierarchicalConfiguration<ImmutableNode> config) throws ConfigurationException {
        String destination = config.getString("[@destinationURL]");
        if (destination == null) {
            throw new ConfigurationException("SpoolMailRepository needs a destinationURL such as spool://var/spool/deferred");
        }
        url = MailRepositoryUrl.from(destination);
        fsync = config.getBoolean("[@fsync]", true);
    }

    @Override
    public void init() throws Exception {
        File base = fileSystem.getFile("file://" + url.getPath().asString());
        Path path = base.toPath();
        directory = SpoolDirectory.open(path, path.resolveSibling("corrupt"), fsync);
        for (String name : directory.names()) {
            try {
                StoredMail stored = StoredMail.of(name, SpoolEnvelope.decode(directory.readEnvelope(name), directory.file(name)));
                index(stored);
            } catch (CorruptSpoolFileException e) {
                directory.quarantine(name, e.getMessage());
            } catch (NoSuchFileException e) {
                LOGGER.debug("{} vanished while loading", name);
            }
        }
        LOGGER.info("spool repository {}: {} mails in {}", url.asString(), index.size(), path);
    }

    public MailRepositoryUrl url() {
        return url;
    }

    @Override
    public long size() {
        return index.size();
    }

    @Override
    public MailKey store(Mail mail) throws MessagingException {
        MailKey key = MailKey.forMail(mail);
        String fileName = SpoolNames.forKey(key.asString());
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            long now = System.currentTimeMillis();
            byte[] envelope = SpoolEnvelope.encode(mail, now, now);
            directory.write(fileName, envelope, out -> writeMessage(mail, out));
            index(StoredMail.of(fileName, mail));
        } catch (IOException e) {
            throw new MessagingException("cannot store " + key.asString() + " in " + url.asString(), e);
        } finally {
            lock.unlock();
        }
        listeners.forEach(Runnable::run);
        return key;
    }

    @Override
    public Iterator<MailKey> list() {
        return new ArrayList<>(index.keySet()).iterator();
    }

    @Override
    public Mail retrieve(MailKey key) throws MessagingException {
        StoredMail stored = index.get(key);
        if (stored == null) {
            return null;
        }
        try {
            SpoolFileFormat.Record record = directory.read(stored.fileName());
            return SpoolEnvelope.decode(record.envelope, directory.file(stored.fileName()))
                .toMail(record.message, url.asString() + "/" + stored.fileName(), directory.file(stored.fileName()));
        } catch (NoSuchFileException e) {
            return null;
        } catch (CorruptSpoolFileException e) {
            quarantine(stored, e.getMessage());
            return null;
        } catch (IOException e) {
            throw new MessagingException("cannot read " + key.asString() + " from " + url.asString(), e);
        }
    }

    @Override
    public void remove(MailKey key) throws MessagingException {
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            StoredMail stored = index.remove(key);
            if (stored != null) {
                schedule.remove(stored);
                // not fsynced: a removal a crash undoes brings a mail back (a duplicate, never a loss)
                directory.delete(stored.fileName());
            }
        } catch (IOException e) {
            throw new MessagingException("cannot remove " + key.asString() + " from " + url.asString(), e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void removeAll() throws MessagingException {
        for (MailKey key : new ArrayList<>(index.keySet())) {
            remove(key);
        }
    }

    /** The index entry of one mail: envelope and retry bookkeeping, no body. */
    public Optional<StoredMail> entry(MailKey key) {
        return Optional.ofNullable(index.get(key));
    }

    public Collection<StoredMail> entries() {
        return new ArrayList<>(index.values());
    }

    /** Mails whose next attempt is due at {@code now}, earliest first; mails without one are never due. */
    public List<StoredMail> due(long now, int limit) {
        List<StoredMail> due = new ArrayList<>();
        for (StoredMail mail : schedule) {
            if (due.size() >= limit || mail.nextAttempt().orElse(Long.MAX_VALUE) > now) {
                break;
            }
            due.add(mail);
        }
        return due;
    }

    /** The earliest next attempt in this repository, if any. */
    public Optional<Long> earliestNextAttempt() {
        return schedule.isEmpty() ? Optional.empty() : schedule.first().nextAttempt();
    }

    /** Moves a mail's next attempt (flush: to now). Durable: the new time is written to its file. */
    public boolean reschedule(MailKey key, long nextAttempt) throws MessagingException {
        Mail mail = retrieve(key);
        if (mail == null) {
            return false;
        }
        SpoolAttributes.set(mail, SpoolAttributes.NEXT_ATTEMPT, AttributeValue.of(nextAttempt));
        store(mail);
        return true;
    }

    /** A repository is a deferred queue when a runner retries its mails; one runner per repository. */
    void attach(SpoolRunner retriedBy, Runnable onChange) {
        if (!runner.compareAndSet(null, retriedBy)) {
            throw new IllegalStateException(url.asString() + " is already retried by another spool runner: configure one Defer mailet per deferred repository");
        }
        listeners.add(onChange);
    }

    void detach(SpoolRunner retriedBy, Runnable onChange) {
        listeners.remove(onChange);
        runner.compareAndSet(retriedBy, null);
    }

    /** True for the deferred queue(s): a spool runner retries the mails stored here. */
    public boolean isDeferredQueue() {
        return runner.get() != null;
    }

    private void index(StoredMail stored) {
        StoredMail previous = index.put(stored.key(), stored);
        if (previous != null) {
            schedule.remove(previous);
        }
        if (stored.nextAttempt().isPresent()) {
            schedule.add(stored);
        }
    }

    private void quarantine(StoredMail stored, String reason) {
        ReentrantLock lock = lockFor(stored.key());
        lock.lock();
        try {
            if (index.remove(stored.key(), stored)) {
                schedule.remove(stored);
                directory.quarantine(stored.fileName(), reason);
            }
        } finally {
            lock.unlock();
        }
    }

    private ReentrantLock lockFor(MailKey key) {
        return locks[Math.floorMod(key.hashCode(), locks.length)];
    }

    private static void writeMessage(Mail mail, java.io.OutputStream out) throws IOException {
        try {
            mail.getMessage().writeTo(out);
        } catch (MessagingException e) {
            throw new IOException("cannot write the message of " + mail.getName(), e);
        }
    }
}
