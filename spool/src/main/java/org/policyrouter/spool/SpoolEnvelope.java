package org.policyrouter.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

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

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The envelope part of a spool record: everything James's Mail carries besides the message (sender,
 * recipients, state, error message, remote host/address, last update, attributes — including the
 * spool's own, see {@link SpoolAttributes} — and per-recipient headers), plus the queue it is in,
 * the body it refers to (absent: the body is in the same record), its enqueue and not-before times
 * and whether an operator holds it. Attributes are stored as James serializes them (JSON); like
 * James's own repositories, attributes that have no serializer are dropped.
 */
final class SpoolEnvelope {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode json;

    private SpoolEnvelope(ObjectNode json) {
        this.json = json;
    }

    /** A mail as a repository stores it: no queue, its body in the same record. */
    static byte[] encode(Mail mail, long enqueued) throws MessagingException {
        return encode(mail, new Placement(null, null, enqueued, enqueued, false), Map.of(), attribute -> { });
    }

    /**
     * With {@code defaults}: attributes written only when the mail lacks them (the caller's mail is
     * left untouched). {@code written} sees each attribute that went in (James cannot serialize
     * every attribute). Streamed (no JSON tree): this runs before every SMTP 250.
     */
    static byte[] encode(Mail mail, Placement placement, Map<AttributeName, AttributeValue<?>> defaults,
                         Consumer<Attribute> written) throws MessagingException {
        ByteArrayBuilder bytes = new ByteArrayBuilder(1024);
        try (JsonGenerator json = MAPPER.createGenerator(bytes)) {
            json.writeStartObject();
            json.writeStringField("name", mail.getName());
            json.writeStringField("state", mail.getState());
            writeIfPresent(json, "errorMessage", mail.getErrorMessage());
            MaybeSender sender = mail.getMaybeSender();
            json.writeStringField("sender", sender.isNullSender() ? null : sender.asString());
            json.writeArrayFieldStart("recipients");
            for (MailAddress recipient : mail.getRecipients()) {
                json.writeString(recipient.asString());
            }
            json.writeEndArray();
            writeIfPresent(json, "remoteHost", mail.getRemoteHost());
            writeIfPresent(json, "remoteAddr", mail.getRemoteAddr());
            if (mail.getLastUpdated() != null) {
                json.writeNumberField("lastUpdated", mail.getLastUpdated().getTime());
            }
            json.writeObjectFieldStart("attributes");
            Set<String> names = new HashSet<>();
            for (Attribute attribute : (Iterable<Attribute>) mail.attributes()::iterator) {
                writeAttribute(json, attribute, names, written);
            }
            for (Map.Entry<AttributeName, AttributeValue<?>> entry : defaults.entrySet()) {
                writeAttribute(json, new Attribute(entry.getKey(), entry.getValue()), names, written);
            }
            json.writeEndObject();
            json.writeArrayFieldStart("perRecipientHeaders");
            for (Map.Entry<MailAddress, PerRecipientHeaders.Header> header : mail.getPerRecipientSpecificHeaders().getHeadersByRecipient().entries()) {
                json.writeStartObject();
                json.writeStringField("recipient", header.getKey().asString());
                json.writeStringField("name", header.getValue().getName());
                json.writeStringField("value", header.getValue().getValue());
                json.writeEndObject();
            }
            json.writeEndArray();
            writeIfPresent(json, "queue", placement.queue);
            writeIfPresent(json, "body", placement.bodyId);
            json.writeNumberField("enqueued", placement.enqueued);
            json.writeNumberField("notBefore", placement.notBefore);
            if (placement.held) {
                json.writeBooleanField("held", true);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new MessagingException("cannot encode the envelope of " + mail.getName(), e);
        }
        return bytes.toByteArray();
    }

    /** The same envelope as a file in deferred/: held by an operator or not, its body named (it may have been in the same journal record). */
    byte[] rewritten(boolean held, String bodyId) throws IOException {
        ObjectNode copy = json.deepCopy();
        copy.put("body", bodyId);
        if (held) {
            copy.put("held", true);
        } else {
            copy.remove("held");
        }
        return MAPPER.writeValueAsBytes(copy);
    }

    /** The same envelope for fewer recipients, its body named. */
    byte[] narrowed(List<String> recipients, String bodyId) throws IOException {
        ObjectNode copy = json.deepCopy();
        copy.put("body", bodyId);
        com.fasterxml.jackson.databind.node.ArrayNode list = copy.putArray("recipients");
        recipients.forEach(list::add);
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

    /** The James queue this envelope waits in. */
    String queue() {
        return textOf("queue").orElse("spool");
    }

    /** The record holding the body, when it is not this one. */
    Optional<String> bodyId() {
        return textOf("body");
    }

    boolean held() {
        return json.path("held").asBoolean(false);
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

    /** Rebuilds the mail around its message. */
    MailImpl toMail(javax.mail.internet.MimeMessage message, Path file) throws CorruptSpoolFileException {
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
            mail.setMessageNoCopy(message instanceof MimeMessageWrapper ? (MimeMessageWrapper) message : new MimeMessageWrapper(message));
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

    private static void writeAttribute(JsonGenerator json, Attribute attribute, Set<String> names, Consumer<Attribute> written) throws IOException {
        Optional<JsonNode> value = attribute.getValue().toJson();
        if (value.isPresent() && names.add(attribute.getName().asString())) {
            json.writeFieldName(attribute.getName().asString());
            json.writeTree(value.get());
            written.accept(attribute);
        }
    }

    private static void writeIfPresent(JsonGenerator json, String field, String value) throws IOException {
        if (value != null) {
            json.writeStringField(field, value);
        }
    }

    /** Where an envelope goes: its queue (none in a repository), the record holding its body (null: this one), when it is due, whether it is held. */
    static final class Placement {
        final String queue;
        final String bodyId;
        final long enqueued;
        final long notBefore;
        final boolean held;

        Placement(String queue, String bodyId, long enqueued, long notBefore, boolean held) {
            this.queue = queue;
            this.bodyId = bodyId;
            this.enqueued = enqueued;
            this.notBefore = notBefore;
            this.held = held;
        }
    }
}
