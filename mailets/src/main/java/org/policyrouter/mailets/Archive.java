package org.policyrouter.mailets;

import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolMailRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's archive queue: keeps a mail that could not be delivered, logged with its name
 * (which carries the queue ID), and ends its processing. Remove it from a processor to turn
 * archiving off. James's repositories key mails by name and a store under an existing key
 * replaces that mail, so a name already archived (the same message failing again) is archived
 * as {@code <name>.2}, {@code <name>.3} …: nothing archived is overwritten.
 *
 * <p>The archive is a copy for the operator of mail already reported to its sender, so it must
 * never hold up the spool: a {@code spool://} archive keeps within {@code maxSize} by removing its
 * oldest mails first, and a mail that cannot be archived (a full disk, a mail larger than
 * {@code maxSize}) is logged at ERROR and ends its processing all the same. Retrying it would
 * report it to its sender again each time, and fill the disk the spool needs to drain.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.Archive">
 *   <repositoryPath>spool://var/spool/archive</repositoryPath>
 *   <maxSize>1G</maxSize>   <!-- default; spool:// repositories only; 0: no limit -->
 * </mailet>
 * }</pre>
 */
public class Archive extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    static final long DEFAULT_MAX_SIZE = 1024L * 1024 * 1024;
    private final MailRepositoryStore repositories;
    private final Metric archived;
    private MailRepository archive;
    private String path;
    private long maxSize;

    @Inject
    public Archive(MailRepositoryStore repositories, MetricFactory metrics) {
        this.repositories = repositories;
        this.archived = metrics.generate("policyrouter.spool.archived");
    }

    @Override
    public void init() throws MessagingException {
        path = getInitParameter("repositoryPath", "spool://var/spool/archive");
        try {
            archive = repositories.select(MailRepositoryUrl.from(path));
        } catch (MailRepositoryStore.MailRepositoryStoreException | IllegalArgumentException e) {
            throw new MessagingException(getMailetName() + ": repositoryPath " + path + ": " + e.getMessage(), e);
        }
        boolean configured = getInitParameter("maxSize") != null;
        maxSize = MailetParameters.size(this, "maxSize", DEFAULT_MAX_SIZE);
        if (maxSize > 0 && !(archive instanceof SpoolMailRepository)) {
            if (configured) {
                throw new MessagingException(getMailetName() + ": maxSize needs a spool:// repository; " + path + " is not one");
            }
            LOGGER.warn("{}: {} is not a spool:// repository: the archive is not bounded by size", getMailetName(), path);
            maxSize = 0;
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String name = mail.getName();
        MailKey key;
        List<MailKey> pruned;
        // one instance serves every spooler thread: two failures of one message must not pick the same key
        synchronized (this) {
            key = freeKey(name);
            mail.setName(key.asString());
            try {
                pruned = store(mail);
            } catch (MessagingException | RuntimeException e) {
                LOGGER.error("{}: not archived in {}, dropped (its sender was already told): {}", name, path, e.getMessage());
                mail.setState(Mail.GHOST);
                return;
            } finally {
                mail.setName(name);
            }
        }
        if (!pruned.isEmpty()) {
            LOGGER.info("{}: the archive is at its maxSize {}: removed its {} oldest mails ({} … {})", name, maxSize, pruned.size(),
                pruned.get(0).asString(), pruned.get(pruned.size() - 1).asString());
        }
        archived.increment();
        LOGGER.info("{}: archived in {} as {}, from=<{}>, to=<{}>", name, path, key.asString(),
            mail.getMaybeSender().asString(""), mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<")));
        mail.setState(Mail.GHOST);
    }

    private List<MailKey> store(Mail mail) throws MessagingException {
        if (maxSize > 0) {
            return ((SpoolMailRepository) archive).storeWithin(mail, maxSize);
        }
        archive.store(mail);
        return List.of();
    }

    private MailKey freeKey(String name) throws MessagingException {
        MailKey key = new MailKey(name);
        for (int n = 2; holds(key); n++) {
            key = new MailKey(name + "." + n);
        }
        return key;
    }

    private boolean holds(MailKey key) throws MessagingException {
        Mail stored = archive.retrieve(key);
        LifecycleUtil.dispose(stored);
        return stored != null;
    }

    @Override
    public String getMailetInfo() {
        return "Archive: the spool's archive queue";
    }
}
