package org.policyrouter.spool;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;

import org.apache.mailet.Mail;
import org.policyrouter.core.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Service;

/**
 * What Postfix's {@code postqueue} and {@code postsuper} give, beyond James's own
 * {@code /mailQueues} routes (which work on the spool's queues too): mails listed with their state,
 * next attempt, attempts and last error, and flush, hold, release and delete by queue ID or by
 * recipient domain. Registered through {@code extensions.routes} in webadmin.properties.
 *
 * <pre>
 * GET    /spool/queues/{queue}/messages[?queueId=…|domain=…][&amp;state=active|due|deferred|held][&amp;offset=0&amp;limit=100]
 * GET    /spool/queues/{queue}/messages/{queueId}
 * GET    /spool/queues/{queue}/messages/{queueId}/content      the message (message/rfc822)
 * PATCH  /spool/queues/{queue}/messages/{queueId}?action=flush|hold|release
 * PATCH  /spool/queues/{queue}/messages?action=flush|hold|release[&amp;domain=…]
 * DELETE /spool/queues/{queue}/messages/{queueId}
 * DELETE /spool/queues/{queue}/messages?domain=…
 * </pre>
 */
public class SpoolQueueRoutes implements Routes {
    static final String BASE = "/spool/queues";
    private static final Logger AUDIT = LoggerFactory.getLogger("org.policyrouter.audit");
    private static final String MESSAGES = BASE + "/:queue/messages";
    private static final int DEFAULT_LIMIT = 100;

    private final MailQueueFactory<?> queues;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public SpoolQueueRoutes(MailQueueFactory<?> queues) {
        this.queues = queues;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(MESSAGES, (request, response) -> list(request, selection(request)), json);
        service.get(MESSAGES + "/:queueId", (request, response) -> list(request, existing(request)), json);
        service.get(MESSAGES + "/:queueId/content", this::content);
        service.patch(MESSAGES, (request, response) -> audited(request, act(request, selection(request))), json);
        service.patch(MESSAGES + "/:queueId", (request, response) -> audited(request, act(request, existing(request))), json);
        service.delete(MESSAGES, (request, response) -> {
            if (request.queryParams("domain") == null || request.queryParams("domain").isBlank()) {
                throw badRequest("give domain=…, or delete one message by its queue ID; James's DELETE /mailQueues/{queue}/mails clears a whole queue");
            }
            return audited(request, count("deleted", queue(request).removeRecipients(recipientInDomain(request.queryParams("domain").trim()),
                "removed (recipients in " + request.queryParams("domain").trim() + ")")));
        }, json);
        service.delete(MESSAGES + "/:queueId", (request, response) ->
            audited(request, count("deleted", queue(request).remove(existing(request), "deleted"))), json);
    }

    /**
     * Every change an operator makes, one line: who (the WebAdmin client's address), what, on
     * which mails, and how many it touched; as Postfix's postsuper logs each of its changes.
     */
    private static Map<String, Object> audited(Request request, Map<String, Object> result) {
        String which = request.params("queueId") != null ? request.params("queueId")
            : request.queryParams("domain") != null ? "domain " + request.queryParams("domain").trim()
            : request.queryParams("queueId") != null ? request.queryParams("queueId").trim() : "all";
        AUDIT.info("WebAdmin client {}: {} {} {} in queue {}: {}", request.ip(), request.requestMethod(),
            Optional.ofNullable(request.queryParams("action")).orElse("delete"), LogText.escape(which), request.params("queue"), result);
        return result;
    }

    private List<Map<String, Object>> list(Request request, Predicate<QueuedMail> which) {
        SpoolMailQueue queue = queue(request);
        Predicate<SpoolMailQueue.Listed> inState = stateFilter(request);
        int offset = number(request, "offset", 0);
        int limit = number(request, "limit", DEFAULT_LIMIT);
        List<Map<String, Object>> page = new ArrayList<>();
        queue.list(which).stream().filter(inState).skip(offset).limit(limit).forEach(listed -> page.add(describe(queue, listed)));
        return page;
    }

    /**
     * The message as stored, {@code message/rfc822}, like postcat's body: the first mail of the
     * message (its copies, one per next hop, share the body).
     */
    private Object content(Request request, spark.Response response) throws Exception {
        SpoolMailQueue queue = queue(request);
        Mail mail = queue.list(existing(request)).stream().map(listed -> queue.read(listed.mail)).flatMap(Optional::stream).findFirst()
            .orElseThrow(() -> ErrorResponder.builder().statusCode(404).type(ErrorResponder.ErrorType.NOT_FOUND)
                .message("mail %s left the queue", request.params("queueId")).haltError());
        try {
            response.type("message/rfc822");
            MessageBytes.writeTo(mail.getMessage(), response.raw().getOutputStream());
            return "";
        } finally {
            LifecycleUtil.dispose(mail);
        }
    }

    private Map<String, Object> act(Request request, Predicate<QueuedMail> which) throws MailQueue.MailQueueException {
        SpoolMailQueue queue = queue(request);
        String action = request.queryParams("action");
        switch (action == null ? "" : action) {
            case "flush":
                return count("flushed", queue.flush(which));
            case "hold":
                return count("held", queue.hold(which));
            case "release":
                return count("released", queue.release(which));
            default:
                throw badRequest("action must be flush, hold or release");
        }
    }

    private static Map<String, Object> describe(SpoolMailQueue queue, SpoolMailQueue.Listed listed) {
        QueuedMail mail = listed.mail;
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("queueId", mail.queueId);
        view.put("name", mail.name);
        view.put("state", listed.state.name().toLowerCase(Locale.ROOT));
        view.put("sender", mail.sender.orElse(""));
        view.put("recipients", mail.recipients);
        view.put("nextAttempt", listed.state == SpoolMailQueue.Listed.State.HELD ? null : Instant.ofEpochMilli(mail.notBefore).toString());
        queue.envelope(mail).ifPresent(envelope -> {
            view.put("arrival", envelope.attributeValue(SpoolAttributes.ARRIVAL).map(node -> Instant.ofEpochMilli(node.asLong()).toString()).orElse(null));
            view.put("attempts", envelope.attributeValue(SpoolAttributes.RETRIES).map(node -> node.asInt()).orElse(0));
            view.put("lastError", envelope.attributeValue(SpoolAttributes.DELIVERY_ERROR).map(node -> node.asText()).or(envelope::errorMessage).orElse(null));
        });
        view.put("record", mail.id);
        return view;
    }

    private SpoolMailQueue queue(Request request) {
        String name = request.params("queue");
        return queues.getQueue(MailQueueName.of(name))
            .filter(SpoolMailQueue.class::isInstance)
            .map(SpoolMailQueue.class::cast)
            .orElseThrow(() -> ErrorResponder.builder().statusCode(404).type(ErrorResponder.ErrorType.NOT_FOUND)
                .message("no spool queue %s (James's /mailQueues routes list every queue)", name).haltError());
    }

    /** The mails of one message: the ID itself, or one of its copies ({@code ID.2}). */
    private Predicate<QueuedMail> existing(Request request) {
        String queueId = request.params("queueId");
        Predicate<QueuedMail> ofMessage = mail -> mail.queueId.equals(queueId) || mail.name.equals(queueId);
        if (queue(request).list(ofMessage).isEmpty()) {
            throw ErrorResponder.builder().statusCode(404).type(ErrorResponder.ErrorType.NOT_FOUND)
                .message("no mail with queue ID %s in %s", queueId, request.params("queue")).haltError();
        }
        return ofMessage;
    }

    private static Predicate<QueuedMail> selection(Request request) {
        String queueId = request.queryParams("queueId");
        String domain = request.queryParams("domain");
        Predicate<QueuedMail> which = mail -> true;
        if (queueId != null && !queueId.isBlank()) {
            which = which.and(mail -> mail.queueId.equals(queueId.trim()));
        }
        if (domain != null && !domain.isBlank()) {
            which = which.and(mail -> mail.hasRecipientInDomain(domain.trim()));
        }
        return which;
    }

    private static Predicate<String> recipientInDomain(String domain) {
        String suffix = "@" + domain.toLowerCase(Locale.ROOT);
        return recipient -> recipient.toLowerCase(Locale.ROOT).endsWith(suffix);
    }

    private static Predicate<SpoolMailQueue.Listed> stateFilter(Request request) {
        String state = request.queryParams("state");
        if (state == null || state.isBlank()) {
            return listed -> true;
        }
        try {
            SpoolMailQueue.Listed.State wanted = SpoolMailQueue.Listed.State.valueOf(state.trim().toUpperCase(Locale.ROOT));
            return listed -> listed.state == wanted;
        } catch (IllegalArgumentException e) {
            throw badRequest("state must be one of " + java.util.Arrays.stream(SpoolMailQueue.Listed.State.values())
                .map(value -> value.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
        }
    }

    private static int number(Request request, String name, int defaultValue) {
        String text = request.queryParams(name);
        if (text == null || text.isBlank()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw badRequest(name + " must be a number of 0 or more");
        }
    }

    private static Map<String, Object> count(String what, long count) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put(what, count);
        return result;
    }

    private static RuntimeException badRequest(String message) {
        return ErrorResponder.builder().statusCode(400).type(ErrorResponder.ErrorType.INVALID_ARGUMENT).message(message).haltError();
    }
}
