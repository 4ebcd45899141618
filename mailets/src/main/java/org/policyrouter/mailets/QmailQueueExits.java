package org.policyrouter.mailets;

import java.util.Map;

/**
 * qmail-queue's exit statuses as qmail-smtpd reads them (qmail.c, {@code qmail_close}): 0 the
 * message is queued, 11–40 permanent, anything else temporary; the known ones with qmail's words.
 */
final class QmailQueueExits {
    private static final Map<Integer, String> MEANINGS = Map.ofEntries(
        Map.entry(11, "5.1.3 envelope address too long for qq"),
        Map.entry(31, "5.3.0 mail server permanently rejected message"),
        Map.entry(51, "4.3.0 qq out of memory"),
        Map.entry(52, "4.3.0 qq timeout"),
        Map.entry(53, "4.3.0 qq write error or disk full"),
        Map.entry(54, "4.3.0 qq read error"),
        Map.entry(55, "4.3.0 qq unable to read configuration"),
        Map.entry(56, "4.3.0 qq trouble making network connection"),
        Map.entry(61, "4.3.0 qq trouble in home directory"),
        Map.entry(62, "4.3.0 qq trouble creating files in queue"),
        Map.entry(71, "4.3.0 mail server temporarily rejected message"),
        Map.entry(72, "4.4.1 connection to mail server timed out"),
        Map.entry(73, "4.4.1 connection to mail server rejected"),
        Map.entry(74, "4.4.2 communication with mail server failed"),
        Map.entry(81, "4.3.0 qq internal bug"),
        Map.entry(91, "4.3.0 qq internal bug (envelope format error)"),
        // qmail's compatibility status for 11
        Map.entry(115, "5.1.3 envelope address too long for qq"));

    private QmailQueueExits() {
    }

    static RecipientOutcome outcome(int status, String text) {
        if (status == 0) {
            return RecipientOutcome.delivered(text);
        }
        boolean permanent = (status >= 11 && status <= 40) || status == 115;
        String meaning = MEANINGS.getOrDefault(status, permanent ? "5.3.0 qq permanent problem" : "4.3.0 qq temporary problem");
        String reply = meaning + " (" + text + ")";
        return permanent ? RecipientOutcome.permanentFailure(reply) : RecipientOutcome.temporaryFailure(reply);
    }
}
