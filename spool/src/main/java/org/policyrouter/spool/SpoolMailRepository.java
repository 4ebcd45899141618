package org.policyrouter.spool;

import java.io.File;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool's archive as a James MailRepository (protocol {@code spool} in
 * mailrepositorystore.xml, e.g. {@code spool://var/spool/archive}): one durable file per mail,
 * written to a temporary name, fsynced and renamed into place, the message byte for byte as
 * received; an in-memory index of keys rebuilt at start; corrupt files moved to the spool's
 * {@code corrupt/} directory. WebAdmin's /mailRepositories routes work on it as on any repository.
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

    private final FileSystem fileSystem;
    /** Key → file name. */
    private final Map<MailKey, String> index = new ConcurrentHashMap<>();
    /** Keys oldest first, with the bytes on disk of each: what {@link #storeWithin} removes first. */
    private final Map<MailKey, Long> bytesByAge = Collections.synchronizedMap(new LinkedHashMap<>());
    private final AtomicLong totalBytes = new AtomicLong();
    private final ReentrantLock[] locks = new ReentrantLock[64];
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
            throw new ConfigurationException("SpoolMailRepository needs a destinationURL such as spool://var/spool/archive");
        }
        url = MailRepositoryUrl.from(destination);
        fsync = config.getBoolean("[@fsync]", true);
    }

    @Override
    public void init() throws Exception {
        File base = fileSystem.getFile("file://" + url.getPath().asString());
        Path path = base.toPath();
        directory = SpoolDirectory.open(path, path.resolveSibling("corrupt"), Fsyncs.untimed(fsync));
        List<String> names = directory.names();
        Map<String, Long> modified = new HashMap<>();
        names.sort(Comparator.comparingLong(name -> modified.computeIfAbsent(name, n -> directory.file(n).toFile().lastModified())));
        for (String name : names) {
            try {
                MailKey key = new MailKey(SpoolEnvelope.decode(directory.readEnvelope(name), directory.file(name)).name());
                index.put(key, name);
                track(key, directory.file(name).toFile().length());
            } catch (CorruptSpoolFileException e) {
                directory.quarantine(name, e.getMessage());
            } catch (NoSuchFileException e) {
                LOGGER.debug("{} vanished while loading", name);
            }
        }
        LOGGER.info("spool repository {}: {} mails ({} bytes) in {}", url.asString(), index.size(), totalBytes.get(), path);
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
            byte[] envelope = SpoolEnvelope.encode(mail, System.currentTimeMillis());
            directory.write(fileName, envelope, out -> {
                try {
                    MessageBytes.writeTo(mail.getMessage(), out);
                } catch (MessagingException e) {
                    throw new IOException("cannot write the message of " + mail.getName(), e);
                }
            });
            index.put(key, fileName);
            untrack(key);
            track(key, directory.file(fileName).toFile().length());
        } catch (IOException e) {
            throw new MessagingException("cannot store " + key.asString() + " in " + url.asString(), e);
        } finally {
            lock.unlock();
        }
        return key;
    }

    @Override
    public Iterator<MailKey> list() {
        return new ArrayList<>(index.keySet()).iterator();
    }

    @Override
    public Mail retrieve(MailKey key) throws MessagingException {
        String fileName = index.get(key);
        if (fileName == null) {
            return null;
        }
        Path file = directory.file(fileName);
        try {
            long[] message = SpoolFileFormat.messageRange(file);
            if (message[1] > SpoolStore.JOURNAL_MAX_BODY_BYTES) {
                // a large message is streamed from its file when read, never held whole
                SpoolBodySource body = SpoolBodySource.inFile(url.asString(), key.asString(), file, message[0], message[1]);
                return SpoolEnvelope.decode(directory.readEnvelope(fileName), file).toMail(new SpooledMessage(body), file);
            }
            SpoolFileFormat.Record record = directory.read(fileName);
            SpoolBodySource body = SpoolBodySource.inMemory(url.asString(), key.asString(), record.message);
            return SpoolEnvelope.decode(record.envelope, file).toMail(new SpooledMessage(body), file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (CorruptSpoolFileException e) {
            quarantine(key, fileName, e.getMessage());
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
            String fileName = index.remove(key);
            untrack(key);
            if (fileName != null) {
                // not fsynced: a removal a crash undoes brings a mail back (a duplicate, never a loss)
                directory.delete(fileName);
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

    /** Bytes on disk of every mail held. */
    public long bytes() {
        return totalBytes.get();
    }

    /**
     * Stores a mail so that the repository stays within {@code budget} bytes: the oldest mails are
     * removed first to make room (an archive that keeps the newest, as a rotated log does). A mail
     * larger than the whole budget is refused.
     *
     * @return the keys removed to make room, oldest first
     */
    public synchronized List<MailKey> storeWithin(Mail mail, long budget) throws MessagingException {
        long size = mail.getMessageSize();
        if (size > budget) {
            throw new MessagingException(mail.getName() + " (" + size + " bytes) is larger than the whole budget of "
                + url.asString() + " (" + budget + " bytes)");
        }
        List<MailKey> removed = new ArrayList<>();
        while (totalBytes.get() + size > budget) {
            MailKey oldest = oldest();
            if (oldest == null) {
                break;
            }
            remove(oldest);
            removed.add(oldest);
        }
        store(mail);
        return removed;
    }

    private MailKey oldest() {
        synchronized (bytesByAge) {
            Iterator<MailKey> keys = bytesByAge.keySet().iterator();
            return keys.hasNext() ? keys.next() : null;
        }
    }

    private void track(MailKey key, long bytes) {
        bytesByAge.put(key, bytes);
        totalBytes.addAndGet(bytes);
    }

    private void untrack(MailKey key) {
        Long bytes = bytesByAge.remove(key);
        if (bytes != null) {
            totalBytes.addAndGet(-bytes);
        }
    }

    private void quarantine(MailKey key, String fileName, String reason) {
        ReentrantLock lock = lockFor(key);
        lock.lock();
        try {
            if (index.remove(key, fileName)) {
                untrack(key);
                directory.quarantine(fileName, reason);
            }
        } finally {
            lock.unlock();
        }
    }

    private ReentrantLock lockFor(MailKey key) {
        return locks[Math.floorMod(key.hashCode(), locks.length)];
    }
}
