package org.policyrouter.spool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;

import spark.Request;
import spark.Service;

/**
 * Operator tools for the deferred queue beyond James's /mailRepositories routes: what
 * {@code postqueue -p} and {@code postqueue -f/-s/-i} give Postfix users. Registered through
 * {@code extensions.routes} in webadmin.properties.
 *
 * <pre>
 * GET   /spool/deferred/mails[?domain=example.com]          next attempt, attempts, last error per mail
 * GET   /spool/deferred/mails/{key}
 * PATCH /spool/deferred/mails?action=flush[&amp;domain=…]    retry all (or one domain's) mails now
 * PATCH /spool/deferred/mails/{key}?action=flush           retry one mail now
 * </pre>
 */
public class DeferredQueueRoutes implements Routes {
    static final String BASE = "/spool/deferred/mails";

    private final MailRepositoryStore repositories;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public DeferredQueueRoutes(MailRepositoryStore repositories) {
        this.repositories = repositories;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE, (request, response) -> list(domainFilter(request)), json);
        service.get(BASE + "/:key", (request, response) -> describe(find(request)), json);
        service.patch(BASE, (request, response) -> {
            requireFlush(request);
            return flush(domainFilter(request));
        }, json);
        service.patch(BASE + "/:key", (request, response) -> {
            requireFlush(request);
            Located located = find(request);
            return flush(mail -> mail == located.mail);
        }, json);
    }

    private List<Map<String, Object>> list(Predicate<StoredMail> filter) {
        List<Map<String, Object>> mails = new ArrayList<>();
        for (SpoolMailRepository repository : deferredQueues()) {
            repository.entries().stream()
                .filter(filter)
                .sorted(Comparator.comparing((StoredMail mail) -> mail.nextAttempt().orElse(Long.MAX_VALUE)))
                .forEach(mail -> mails.add(describe(new Located(repository, mail))));
        }
        return mails;
    }

    private Map<String, Object> flush(Predicate<StoredMail> filter) throws MessagingException {
        long now = System.currentTimeMillis();
        int flushed = 0;
        for (SpoolMailRepository repository : deferredQueues()) {
            for (StoredMail mail : repository.entries()) {
                if (filter.test(mail) && repository.reschedule(mail.key(), now)) {
                    flushed++;
                }
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("flushed", flushed);
        return result;
    }

    private static Map<String, Object> describe(Located located) {
        StoredMail mail = located.mail;
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("repository", located.repository.url().asString());
        view.put("key", mail.key().asString());
        view.put("queueId", mail.queueId());
        view.put("sender", mail.sender().orElse(""));
        view.put("recipients", mail.recipients());
        view.put("arrival", mail.arrival().map(Instant::ofEpochMilli).map(Instant::toString).orElse(null));
        view.put("attempts", mail.retries());
        view.put("nextAttempt", mail.nextAttempt().map(Instant::ofEpochMilli).map(Instant::toString).orElse(null));
        view.put("lastError", mail.lastError().orElse(null));
        return view;
    }

    private Located find(Request request) {
        MailKey key = new MailKey(request.params("key"));
        for (SpoolMailRepository repository : deferredQueues()) {
            Optional<StoredMail> mail = repository.entry(key);
            if (mail.isPresent()) {
                return new Located(repository, mail.get());
            }
        }
        throw ErrorResponder.builder().statusCode(404).type(ErrorResponder.ErrorType.NOT_FOUND)
            .message("no deferred mail with key %s", key.asString()).haltError();
    }

    private static void requireFlush(Request request) {
        if (!"flush".equals(request.queryParams("action"))) {
            throw ErrorResponder.builder().statusCode(400).type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
                .message("action=flush is the only action here").haltError();
        }
    }

    private static Predicate<StoredMail> domainFilter(Request request) {
        String domain = request.queryParams("domain");
        if (domain == null || domain.isBlank()) {
            return mail -> true;
        }
        return mail -> mail.hasRecipientInDomain(domain.trim());
    }

    /** The spool repositories a spool runner retries (the Defer mailets' repositories). */
    private List<SpoolMailRepository> deferredQueues() {
        List<MailRepositoryUrl> urls = repositories.getUrls()
            .filter(url -> url.getProtocol().getValue().equals("spool"))
            .collect(Collectors.toList());
        List<SpoolMailRepository> queues = new ArrayList<>();
        for (MailRepositoryUrl url : urls) {
            try {
                Optional<MailRepository> repository = repositories.get(url);
                repository.filter(SpoolMailRepository.class::isInstance)
                    .map(SpoolMailRepository.class::cast)
                    .filter(SpoolMailRepository::isDeferredQueue)
                    .ifPresent(queues::add);
            } catch (MailRepositoryStore.MailRepositoryStoreException e) {
                throw new IllegalStateException("cannot open " + url.asString(), e);
            }
        }
        return queues;
    }

    private static final class Located {
        final SpoolMailRepository repository;
        final StoredMail mail;

        Located(SpoolMailRepository repository, StoredMail mail) {
            this.repository = repository;
            this.mail = mail;
        }
    }
}
