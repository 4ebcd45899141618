package org.policyrouter.hooks.core;

import org.apache.james.protocols.api.ProtocolSession;

/**
 * James 3.8's line framer guards against commands pipelined behind STARTTLS by turning everything
 * it has buffered into a String and scanning it, on every line, for as long as the session "needs
 * command injection detection" — which, in SMTP, is until TLS starts. During DATA that is
 * quadratic (each line rescans the rest of a 64 KB read: a 200 MB message took minutes and filled
 * the direct memory with unframed reads), and a body line starting with "starttls" drops the
 * connection. The scan only matters while a command may still switch to TLS: never when STARTTLS
 * is not offered, and never inside DATA.
 */
public final class CommandInjectionScan {
    private CommandInjectionScan() {
    }

    /** At connect: a server that does not offer STARTTLS has nothing to guard. */
    public static void atConnect(ProtocolSession session) {
        if (!session.isStartTLSSupported()) {
            session.stopDetectingCommandInjection();
        }
    }

    /** On each DATA line but the last: message lines are no commands. */
    public static void duringData(ProtocolSession session) {
        if (session.needsCommandInjectionDetection()) {
            session.stopDetectingCommandInjection();
        }
    }

    /** After the final dot: commands again, and STARTTLS may still come. */
    public static void afterData(ProtocolSession session) {
        if (session.isStartTLSSupported() && !session.isTLSStarted()) {
            session.startDetectingCommandInjection();
        }
    }
}
