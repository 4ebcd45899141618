package org.policyrouter.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.PerRecipientHeaders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The envelope part of a spool file: everything James's Mail carries besides the message (sender,
 * recipients, state, error message, remote host/address, last update, attributes — including the
 * spool's own, see {@link SpoolAttributes} — and per-recipient headers), plus the queue's
 * enqueue time and not-before time. Attributes are stored as James serializes them (JSON); like
 * James's own repositories, attributes that have no serializer are dropped.
 */
final class SpoolEnvelope {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ObjectNode json;

    private SpoolEnvelope(ObjectNode json) {
        this.json = json;
    }

    static byte[] encode(Mail mail, long enqueued, long notBefore) throws MessagingException {
        return encode(mail, enqueued, notBefore, Map.of());
    }

    /** With {@code defaults}: attributes written only when the mail lacks them (the caller's mail is left untouched). */
    static byte[] encode(Mail mail, long enqueued, long notBefore, Map<AttributeName, AttributeValue<?>> defaults) throws MessagingException {
        ObjectNode json = JSON.objectNode();
        json.put("name", mail.getName());
        json.put("state", mail.getState());
        putIfPresent(json, "errorMessage", mail.getErrorMessage());
        MaybeSender sender = mail.getMaybeSender();
        if (sender.isNullSender()) {
            json.putNull("sender");
        } else {
            json.put("sender", sender.asString());
        }
        ArrayNode recipients = json.putArray("recipients");
        mail.getRecipients().forEach(recipient -> recipients.add(recipient.asString()));
        putIfPresent(json, "remoteHost", mail.getRemoteHost());
        putIfPresent(json, "remoteAddr", mail.getRemoteAddr());
        if (mail.getLastUpdated() != null) {
            json.put("lastUpdated", mail.getLastUpdated().getTime());
        }
        ObjectNode attributes = json.putObject("attributes");
        mail.attributes().forEach(attribute -> attribute.getValue().toJson()
            .ifPresent(value -> attributes.set(attribute.getName().asString(), value)));
        defaults.forEach((name, value) -> {
            if (!attributes.has(name.asString())) {
                value.toJson().ifPresent(serialized -> attributes.set(name.asString(), serialized));
            }
        });
        ArrayNode headers = json.putArray("perRecipientHeaders");
        for (Map.Entry<MailAddress, PerRecipientHeaders.Header> header : mail.getPerRecipientSpecificHeaders().getHeadersByRecipient().entries()) {
            headers.addObject()
                .put("recipient", header.getKey().asString())
                .put("name", header.getValue().getName())
                .put("value", header.getValue().getValue());
        }
        json.put("enqueued", enqueued);
        json.put("notBefore", notBefore);
        try {
            return MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new MessagingException("cannot encode the envelope of " + mail.getName(), e);
        }
    }

    /** The same envelope, due at another time (a queue flush). */
    byte[] withNotBefore(long notBefore) throws IOException {
        ObjectNode copy = json.deepCopy();
        copy.put("notBefore", notBefore);
        return MAPPER.writeValueAsBytes(copy);
    }

    static SpoolEnvelope decode(byte[] bytes, Path file) throws CorruptSpoolFileException {
        try {
            JsonNode tree = MAPPER.readTree(bytes);
            if (!(tree instanceof ObjectNode) || !tree.hasNonNull("name") || !tree.has("recipients")) {
                throw new CorruptSpoolFileException(file, "envelope without name or recipients");
            }
            return new SpoolEnvelope((ObjectNode) tree);
        } catch (IOException e) {
            throw new CorruptSpoolFileException(file, "unreadable envelope: " + e.getMessage());
        }
    }

    String name() {
        return json.get("name").asText();
    }

    /** The sender as text, empty for the null sender {@code <>}. */
    Optional<String> sender() {
        return textOf("sender");
    }

    List<String> recipients() {
        List<String> recipients = new ArrayList<>();
        json.withArray("recipients").forEach(node -> recipients.add(node.asText()));
        return Collections.unmodifiableList(recipients);
    }

    Optional<String> errorMessage() {
        return textOf("errorMessage");
    }

    long enqueued() {
        return json.path("enqueued").asLong(0);
    }

    long notBefore() {
        return json.path("notBefore").asLong(0);
    }

    /** A spool attribute's raw JSON value ({"serializer":…,"value":…} → value). */
    Optional<JsonNode> attributeValue(AttributeName name) {
        return Optional.ofNullable(json.path("attributes").get(name.asString()))
            .map(node -> node.get("value"))
            .filter(node -> !node.isNull());
    }

    /** Rebuilds the mail around the raw message; {@code sourceId} names where the bytes came from. */
    MailImpl toMail(byte[] message, String sourceId, Path file) throws CorruptSpoolFileException {
        try {
            MailImpl.Builder builder = MailImpl.builder()
                .name(name())
                .state(json.path("state").asText(Mail.DEFAULT));
            Optional<String> sender = sender();
            builder.sender(sender.isPresent() ? MaybeSender.of(new MailAddress(sender.get())) : MaybeSender.nullSender());
            for (String recipient : recipients()) {
                builder.addRecipient(new MailAddress(recipient));
            }
            errorMessage().ifPresent(builder::errorMessage);
            textOf("remoteHost").ifPresent(builder::remoteHost);
            textOf("remoteAddr").ifPresent(builder::remoteAddr);
            if (json.hasNonNull("lastUpdated")) {
                builder.lastUpdated(new Date(json.get("lastUpdated").asLong()));
            }
            Iterator<Map.Entry<String, JsonNode>> attributes = json.path("attributes").fields();
            while (attributes.hasNext()) {
                Map.Entry<String, JsonNode> attribute = attributes.next();
                builder.addAttribute(new Attribute(AttributeName.of(attribute.getKey()), AttributeValue.fromJson(attribute.getValue())));
            }
            PerRecipientHeaders headers = new PerRecipientHeaders();
            for (JsonNode header : json.withArray("perRecipientHeaders")) {
                headers.addHeaderForRecipient(PerRecipientHeaders.Header.builder()
                    .name(header.path("name").asText())
                    .value(header.path("value").asText()), new MailAddress(header.path("recipient").asText()));
            }
            builder.addAllHeadersForRecipients(headers);
            MailImpl mail = builder.build();
            mail.setMessageNoCopy(new MimeMessageWrapper(new ByteArrayMessageSource(sourceId, message)));
            return mail;
        } catch (AddressException e) {
            throw new CorruptSpoolFileException(file, "bad address in envelope: " + e.getMessage());
        } catch (MessagingException | RuntimeException e) {
            throw new CorruptSpoolFileException(file, "cannot rebuild the mail: " + e);
        }
    }

    private Optional<String> textOf(String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
    }

    private static void putIfPresent(ObjectNode json, String field, String value) {
        if (value != null) {
            json.put(field, value);
        }
    }
}
