package org.policyrouter.mailets;

import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.policyrouter.spool.SpoolAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's archive queue: keeps a mail that could not be delivered, logged with its queue id,
 * and ends its processing. Remove it from a processor to turn archiving off.
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
        archive = Defer.selectRepository(repositories, path, getMailetName());
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        MailKey key = archive.store(mail);
        archived.increment();
        LOGGER.info("{}: archived in {} as {}, from=<{}>, to=<{}>", SpoolAttributes.queueId(mail), path, key.asString(),
            mail.getMaybeSender().asString(""), mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(">,<")));
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "Archive: the spool's archive queue";
    }
}
