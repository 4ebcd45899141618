package org.policyrouter.hooks.core;

import java.util.List;

import org.apache.james.protocols.api.Response;

/**
 * What a connect or line handler of ours returns when it has nothing to say: a reply of no lines,
 * for which James writes nothing (as for its own {@link Response#DISCONNECT}). Not {@code null},
 * which the API allows but James 3.8.1's JMX statistics, on in a stock handler chain, do not:
 * {@code ConnectHandlerStats.increment} NPEs and every client gets 451 at the greeting. Its code
 * is "000": the statistics of a handler that is also a command handler read the code's first
 * digit (an empty code throws) and count no 2, 3, 4 or 5 for it.
 */
public final class NoReply {
    public static final Response NONE = new Response() {
        @Override
        public String getRetCode() {
            return "000";
        }

        @Override
        public List<CharSequence> getLines() {
            return List.of();
        }

        @Override
        public boolean isEndSession() {
            return false;
        }
    };

    private NoReply() {
    }
}
