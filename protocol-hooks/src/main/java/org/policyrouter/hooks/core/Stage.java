package org.policyrouter.hooks.core;

/**
 * The SMTP stage a verdict answers, with qpsmtpd 0.94's reply codes and default texts for each
 * return code (lib/Qpsmtpd/SMTP.pm *_respond, qpsmtpd-forkserver for pre-connection).
 */
public enum Stage {
    /** hosts_allow: before the greeting; forkserver answers 550/451. */
    PRE_CONNECTION("550", "550", "451", "451", "Sorry, service not available for you", "Sorry, try again later", false),
    /** A limit's refusal before the greeting (not qpsmtpd's): RFC 5321's 554 and 421, and closed. */
    CLOSING("554", "554", "421", "421", "No SMTP service here", "Service not available, closing transmission channel", false),
    CONNECT("550", "550", "450", "450", "Connection from you denied, bye bye.", "Connection from you temporarily denied, bye bye.", false),
    HELO("550", "550", "450", "450", "Denied", "Temporarily denied", true),
    MAIL("550", "550", "450", "421", "Sender denied", "Sender temporarily denied", true),
    RCPT("550", "550", "450", "421", "relaying denied", "relaying denied", true),
    DATA_POST("552", "552", "452", "452", "Message denied", "Message denied temporarily", true),
    UNRECOGNIZED("500", "521", "500", "521", "Unrecognized command", "Unrecognized command", true);

    private final String deny;
    private final String denyDisconnect;
    private final String denySoft;
    private final String denySoftDisconnect;
    private final String defaultDenyText;
    private final String defaultDenySoftText;
    private final boolean enhancedStatus;

    Stage(String deny, String denyDisconnect, String denySoft, String denySoftDisconnect,
          String defaultDenyText, String defaultDenySoftText, boolean enhancedStatus) {
        this.deny = deny;
        this.denyDisconnect = denyDisconnect;
        this.denySoft = denySoft;
        this.denySoftDisconnect = denySoftDisconnect;
        this.defaultDenyText = defaultDenyText;
        this.defaultDenySoftText = defaultDenySoftText;
        this.enhancedStatus = enhancedStatus;
    }

    /** The three-digit reply code for a rejecting return code. */
    public String replyCode(ReturnCode code) {
        switch (code) {
            case DENY:
                return deny;
            case DENY_DISCONNECT:
                return denyDisconnect;
            case DENYSOFT:
                return denySoft;
            case DENYSOFT_DISCONNECT:
                return denySoftDisconnect;
            default:
                throw new IllegalArgumentException(code + " is not a rejection");
        }
    }

    /**
     * The reply text after the code: {@code 5.7.1 Relaying denied}. The greeting stages carry no
     * enhanced status: the client has not seen our EHLO yet (RFC 2034 section 3).
     */
    public String replyText(Verdict verdict) {
        String text = verdict.message().filter(m -> !m.isBlank())
            .orElse(verdict.code().isTemporary() ? defaultDenySoftText : defaultDenyText);
        if (!enhancedStatus) {
            return text;
        }
        String code = replyCode(verdict.code());
        return code.charAt(0) + "." + verdict.statusDetail().orElse("7.1") + " " + text;
    }

    /** The reply as the client reads it: {@code 550 5.7.1 Relaying denied}. */
    public String replyLine(Verdict verdict) {
        return replyCode(verdict.code()) + " " + replyText(verdict);
    }
}
