package org.policyrouter.hooks.spp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

/** Adds the headers of H commands where qmail-smtpd writes them: right after its own Received line. */
final class MessageHeaders {
    private MessageHeaders() {
    }

    static void insertAfterReceived(MimeMessage message, List<String> headers) throws MessagingException {
        List<String> lines = Collections.list(message.getAllHeaderLines());
        Set<String> names = new LinkedHashSet<>();
        lines.forEach(line -> names.add(line.substring(0, Math.max(0, line.indexOf(':'))).strip()));
        // JavaMail adds a header after those of the same name, or at the end: rebuild the order instead
        for (String name : names) {
            message.removeHeader(name);
        }
        int at = !lines.isEmpty() && lines.get(0).toLowerCase(Locale.US).startsWith("received:") ? 1 : 0;
        List<String> ordered = new ArrayList<>(lines.subList(0, at));
        ordered.addAll(headers);
        ordered.addAll(lines.subList(at, lines.size()));
        for (String line : ordered) {
            message.addHeaderLine(line);
        }
    }
}
