package org.policyrouter.mailets;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's archive queue: keeps a mail that could not be delivered, logged with its name
 * (which carries the queue ID), and ends its processing. Remove it from a processor to turn
 * archiving off. James's repositories key mails by name and a store under an existing key
 * replaces that mail, so a name already archived (the same message failing again) is archived
 * as {@code <name>.2}, {@code <name>.3} …: nothing archived is overwritten.
 *
 * <pre>{@code
 * <mailet match="All" class="org.policyrouter.mailets.Archive">
 *   <repositoryPath>spool://var/spool/archive</repositoryPath>
 * </mailet>
 * }</pre>
 */
public class Archive extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.policyrouter.spool");
    private final MailRepositoryStore repositories;
    private final Metric archived;
    private MailRepository archive;
    private String path;

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
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        String name = mail.getName();
        MailKey key;
        // one instance serves every spooler thread: two failures of one message must not pick the same key
        synchronized (this) {
            key = freeKey(name);
            mail.setName(key.asString());
            try {
                archive.store(mail);
            } finally {
                mail.setName(name);
            }
        }
        archived.increment();
        LOGGER.info("{}: archived in {} as {}, from=<{}>, to=<{}>", name, path, key.asString(),
            mail.getMaybeSender().asString(""), mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<")));
        mail.setState(Mail.GHOST);
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
