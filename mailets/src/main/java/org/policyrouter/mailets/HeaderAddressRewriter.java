package org.policyrouter.mailets;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

/**
 * Rewrites the addresses in From:, To: and Cc: in place: only the addr-spec text changes, so
 * display names, comments, encoded words and folding stay exactly as the sender wrote them
 * (re-serialising with JavaMail would re-encode them).
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
        boolean changed = false;
        for (String name : HEADERS) {
            UnaryOperator<String> rewriteAddress = name.equals("From") ? senderSide : recipientSide;
            String[] values = message.getHeader(name);
            if (values == null) {
                continue;
            }
            List<String> rewritten = new ArrayList<>();
            boolean headerChanged = false;
            for (String value : values) {
                String newValue = rewriteValue(value, rewriteAddress);
                headerChanged |= !newValue.equals(value);
                rewritten.add(newValue);
            }
            if (headerChanged) {
                message.setHeader(name, rewritten.get(0));
                for (String extra : rewritten.subList(1, rewritten.size())) {
                    message.addHeader(name, extra);
                }
                changed = true;
            }
        }
        return changed;
    }

    static String rewriteValue(String value, UnaryOperator<String> rewriteAddress) {
        InternetAddress[] addresses;
        try {
            addresses = InternetAddress.parseHeader(value, false);
        } catch (AddressException e) {
            // an unparseable header is left as the sender wrote it
            return value;
        }
        String result = value;
        for (InternetAddress address : addresses) {
            String spec = address.getAddress();
            if (spec == null || spec.indexOf('@') <= 0 || !isValid(address)) {
                continue;
            }
            String newSpec = rewriteAddress.apply(spec);
            if (!newSpec.equalsIgnoreCase(spec)) {
                result = replaceAddrSpec(result, spec, newSpec);
            }
        }
        return result;
    }

    private static boolean isValid(InternetAddress address) {
        try {
            address.validate();
            return true;
        } catch (AddressException e) {
            return false;
        }
    }

    /** Replaces {@code spec} where it stands as an address: outside quoted strings and comments, not inside a longer word. */
    static String replaceAddrSpec(String value, String spec, String newSpec) {
        StringBuilder out = new StringBuilder();
        String lowerValue = value.toLowerCase(Locale.ROOT);
        String lowerSpec = spec.toLowerCase(Locale.ROOT);
        int commentDepth = 0;
        boolean quoted = false;
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (!quoted && commentDepth == 0 && lowerValue.startsWith(lowerSpec, i) && isBoundary(value, i - 1)
                && isBoundary(value, i + spec.length())) {
                out.append(newSpec);
                i += spec.length();
                continue;
            }
            if (c == '\\' && (quoted || commentDepth > 0) && i + 1 < value.length()) {
                out.append(c).append(value.charAt(i + 1));
                i += 2;
                continue;
            }
            if (c == '"' && commentDepth == 0) {
                quoted = !quoted;
            } else if (c == '(' && !quoted) {
                commentDepth++;
            } else if (c == ')' && !quoted && commentDepth > 0) {
                commentDepth--;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static boolean isBoundary(String value, int index) {
        if (index < 0 || index >= value.length()) {
            return true;
        }
        char c = value.charAt(index);
        return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' || Character.isWhitespace(c);
    }
}
