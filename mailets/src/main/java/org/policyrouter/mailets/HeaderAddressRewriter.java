package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * Rewrites the addresses in From:, To: and Cc: in place: only the addr-spec text changes, so
 * display names, comments, encoded words, raw 8-bit text ({@code jörg}) and folding stay exactly as
 * the sender wrote them (re-serialising with JavaMail would re-encode them), and each header keeps
 * its place among the others.
 *
 * <p>One pass over each header value finds its addresses (outside quoted strings and comments: the
 * part in angle brackets, or a bare addr-spec), so a header of 20,000 addresses costs 20,000
 * lookups, not 20,000 scans of the header.
 *
 * <p>The spool and the delivery agents write a message with changed headers as its header lines,
 * byte for byte, and its body as received ({@code MessageBytes}). James's own writer
 * ({@code MimeMessageWrapper.writeTo}: its repositories, mailboxes, RemoteDelivery, a DSN's
 * attachment) turns every 8-bit header byte into {@code ?}, changed or not, and adds Date,
 * Message-ID and MIME-Version to a message whose headers changed; nothing here can change that.
 */
final class HeaderAddressRewriter {
    static final List<String> HEADERS = List.of("From", "To", "Cc");

    private HeaderAddressRewriter() {
    }

    /**
     * @param senderSide applied to From:
     * @param recipientSide applied to To: and Cc:
     * @return whether any header changed
     */
    static boolean rewrite(MimeMessage message, UnaryOperator<String> senderSide, UnaryOperator<String> recipientSide) throws MessagingException {
        Map<String, List<String>> changed = rewrittenHeaders(message, senderSide, recipientSide);
        replaceHeaders(message, changed);
        return !changed.isEmpty();
    }

    /** The new values of each header whose addresses change, by the header's name as the sender spelled it. */
    static Map<String, List<String>> rewrittenHeaders(MimeMessage message, UnaryOperator<String> senderSide, UnaryOperator<String> recipientSide)
        throws MessagingException {
        Map<String, List<String>> changed = new LinkedHashMap<>();
        for (String name : HEADERS) {
            UnaryOperator<String> rewriteAddress = name.equals("From") ? senderSide : recipientSide;
            String[] values = message.getHeader(name);
            if (values == null) {
                continue;
            }
            List<String> rewritten = new ArrayList<>(values.length);
            boolean headerChanged = false;
            for (String value : values) {
                String newValue = rewriteValue(value, rewriteAddress);
                headerChanged |= !newValue.equals(value);
                rewritten.add(newValue);
            }
            if (headerChanged) {
                changed.put(spelling(message, name), rewritten);
            }
        }
        return changed;
    }

    /** The header's name as written in the message ("TO", "cc"), so the new line is spelled the same. */
    private static String spelling(MimeMessage message, String name) throws MessagingException {
        Enumeration<String> lines = message.getMatchingHeaderLines(new String[] {name});
        if (lines.hasMoreElements()) {
            String line = lines.nextElement();
            int colon = line.indexOf(':');
            if (colon > 0) {
                return line.substring(0, colon).trim();
            }
        }
        return name;
    }

    /**
     * Replaces each header where it stands. JavaMail's {@code setHeader} writes into the first
     * header of that name, which in James's header list is an empty placeholder near the top
     * (JavaMail's default order), so the header would move above Received:; {@code removeHeader}
     * only empties the lines and {@code addHeader} inserts after the last one of that name.
     */
    static void replaceHeaders(MimeMessage message, Map<String, List<String>> headers) throws MessagingException {
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            message.removeHeader(header.getKey());
            for (String value : header.getValue()) {
                message.addHeader(header.getKey(), value);
            }
        }
    }

    static String rewriteValue(String value, UnaryOperator<String> rewriteAddress) {
        StringBuilder out = null;
        int copied = 0;
        for (Span span : AddressScanner.addrSpecs(value)) {
            String spec = value.substring(span.start, span.end);
            if (!isValid(spec)) {
                continue;
            }
            String newSpec = rewriteAddress.apply(spec);
            if (newSpec.equalsIgnoreCase(spec)) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(value.length() + 32);
            }
            out.append(value, copied, span.start).append(newSpec);
            copied = span.end;
        }
        return out == null ? value : out.append(value, copied, value.length()).toString();
    }

    /** A plain addr-spec JavaMail accepts (what the rewrite rules are written for). */
    private static boolean isValid(String spec) {
        if (spec.indexOf('@') <= 0) {
            return false;
        }
        try {
            InternetAddress address = new InternetAddress(spec, true);
            address.validate();
            return spec.equals(address.getAddress());
        } catch (AddressException e) {
            return false;
        }
    }

    static final class Span {
        final int start;
        final int end;

        Span(int start, int end) {
            this.start = start;
            this.end = end;
        }
    }

    /**
     * Finds the addr-specs of an address-list header value (RFC 5322 section 3.4) in one pass: for
     * each mailbox the text in angle brackets (a source route before it dropped), or else the
     * mailbox's single word outside comments. Group names ({@code Team: a@x, b@y;}) and display
     * names are skipped; anything ambiguous (words with spaces and no angle brackets) is left alone.
     */
    static final class AddressScanner {
        private final String value;
        private final List<Span> specs = new ArrayList<>();
        // the current mailbox, outside angle brackets
        private int wordStart = -1;
        private int wordEnd = -1;
        private boolean gap;
        private boolean severalWords;
        private boolean angled;

        private AddressScanner(String value) {
            this.value = value;
        }

        static List<Span> addrSpecs(String value) {
            AddressScanner scanner = new AddressScanner(value);
            scanner.scan();
            return scanner.specs;
        }

        private void scan() {
            int i = 0;
            while (i < value.length()) {
                char c = value.charAt(i);
                switch (c) {
                    case '"':
                        int close = skipQuoted(i);
                        word(i, close);
                        i = close;
                        continue;
                    case '(':
                        i = skipComment(i);
                        gap();
                        continue;
                    case '<':
                        i = angle(i);
                        continue;
                    case ',':
                    case ';':
                        endMailbox();
                        break;
                    case ':':
                        // "group-name:" starts a group: what came before was its name
                        resetMailbox();
                        break;
                    case ' ':
                    case '\t':
                    case '\r':
                    case '\n':
                        gap();
                        break;
                    default:
                        word(i, i + 1);
                }
                i++;
            }
            endMailbox();
        }

        /** The index after the closing quote (or the end). */
        private int skipQuoted(int open) {
            int i = open + 1;
            while (i < value.length()) {
                char c = value.charAt(i);
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == '"') {
                    return i + 1;
                }
                i++;
            }
            return value.length();
        }

        /** The index after the comment's closing parenthesis (comments nest), or the end. */
        private int skipComment(int open) {
            int depth = 0;
            int i = open;
            while (i < value.length()) {
                char c = value.charAt(i);
                if (c == '\\') {
                    i += 2;
                    continue;
                }
                if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    return i + 1;
                }
                i++;
            }
            return value.length();
        }

        /** Reads {@code <[route:]addr-spec>}; returns the index after {@code >}. */
        private int angle(int open) {
            int specStart = open + 1;
            int i = open + 1;
            boolean clean = true;
            while (i < value.length()) {
                char c = value.charAt(i);
                if (c == '"') {
                    i = skipQuoted(i);
                    continue;
                }
                if (c == '(' || c == '<' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                    clean = false;
                } else if (c == ':' && value.charAt(specStart) == '@') {
                    // obsolete source route "@a,@b:": the address follows it
                    specStart = i + 1;
                } else if (c == '>') {
                    if (clean && i > specStart) {
                        specs.add(new Span(specStart, i));
                    }
                    angled = true;
                    return i + 1;
                }
                i++;
            }
            angled = true;
            return value.length();
        }

        private void word(int start, int end) {
            if (wordStart < 0) {
                wordStart = start;
            } else if (gap) {
                severalWords = true;
            }
            wordEnd = end;
            gap = false;
        }

        private void gap() {
            if (wordStart >= 0) {
                gap = true;
            }
        }

        private void endMailbox() {
            if (!angled && wordStart >= 0 && !severalWords) {
                specs.add(new Span(wordStart, wordEnd));
            }
            resetMailbox();
        }

        private void resetMailbox() {
            wordStart = -1;
            wordEnd = -1;
            gap = false;
            severalWords = false;
            angled = false;
        }
    }
}
