package org.policyrouter.hooks.spp;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.james.protocols.smtp.SMTPSession;

/**
 * The variables tcpserver gives qmail-smtpd (http://cr.yp.to/ucspi-tcp/environment.html), taken
 * from the James session. TCPREMOTEHOST needs a DNS lookup and is added separately; TCPREMOTEINFO
 * (ident) is never set, as with tcpserver's default -R.
 */
final class TcpServerVariables {
    private TcpServerVariables() {
    }

    static Map<String, String> of(SMTPSession session) {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("PROTO", "TCP");
        InetSocketAddress local = session.getLocalAddress();
        InetSocketAddress remote = session.getRemoteAddress();
        if (local != null) {
            variables.put("TCPLOCALIP", local.getAddress().getHostAddress());
            variables.put("TCPLOCALPORT", Integer.toString(local.getPort()));
        }
        // tcpserver -l names the local host; qmail operators set it to the SMTP greeting name
        variables.put("TCPLOCALHOST", session.getConfiguration().getHelloName());
        if (remote != null) {
            variables.put("TCPREMOTEIP", remote.getAddress().getHostAddress());
            variables.put("TCPREMOTEPORT", Integer.toString(remote.getPort()));
        }
        return variables;
    }
}
