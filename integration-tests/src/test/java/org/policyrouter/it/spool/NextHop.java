package org.policyrouter.it.spool;

import java.time.Duration;
import java.util.List;

import javax.mail.internet.MimeMessage;

import org.awaitility.Awaitility;
import org.policyrouter.it.JamesProcess;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

/** A next hop on a fixed loopback port that a test takes down and brings back up (GreenMail). */
final class NextHop implements AutoCloseable {
    private final int port;
    private GreenMail greenMail;

    private NextHop(int port) {
        this.port = port;
    }

    /** Reserves a free port and stays down: connections are refused, like a crashed server. */
    static NextHop down() throws Exception {
        return new NextHop(JamesProcess.freePort());
    }

    String hostAndPort() {
        return "127.0.0.1:" + port;
    }

    synchronized void up() {
        if (greenMail == null) {
            ServerSetup setup = new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
            // a busy 2-core machine can take longer than GreenMail's default 2 s to start it
            setup.setServerStartupTimeout(30_000);
            greenMail = new GreenMail(setup);
            greenMail.start();
        }
    }

    synchronized List<MimeMessage> messages() {
        return greenMail == null ? List.of() : List.of(greenMail.getReceivedMessages());
    }

    List<MimeMessage> awaitMessages(int count, Duration timeout) {
        Awaitility.await().atMost(timeout).until(() -> messages().size() >= count);
        return messages();
    }

    @Override
    public synchronized void close() {
        if (greenMail != null) {
            greenMail.stop();
            greenMail = null;
        }
    }
}
