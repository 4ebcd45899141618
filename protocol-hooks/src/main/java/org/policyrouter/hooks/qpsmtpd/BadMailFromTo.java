package org.policyrouter.hooks.qpsmtpd;

import java.util.ArrayList;
import java.util.List;

import org.policyrouter.hooks.core.BadAddressPattern;
import org.policyrouter.hooks.core.CheckEnvironment;
import org.policyrouter.hooks.core.Connection;
import org.policyrouter.hooks.core.ControlFileException;
import org.policyrouter.hooks.core.ControlFiles.ControlFile;
import org.policyrouter.hooks.core.ControlLine;
import org.policyrouter.hooks.core.EnvelopeAddress;
import org.policyrouter.hooks.core.QpsmtpdHandler;
import org.policyrouter.hooks.core.Verdict;

/**
 * qpsmtpd's {@code badmailfromto}: {@code FROM TO} pairs (qpsmtpd wants a tab between them; any
 * white space works here). When the sender matches a FROM and the recipient its TO, the
 * recipient is refused as if it did not exist ({@code 550 5.1.1 mail to <recipient> not
 * accepted here}), so a harassing sender cannot tell it was singled out. Both sides take
 * badmailfrom's syntax (address, {@code @host}, regex). The null sender is never matched.
 */
public class BadMailFromTo extends QpsmtpdHandler {
    private ControlFile<List<Pair>> pairs;

    @Override
    public String pluginName() {
        return "badmailfromto";
    }

    @Override
    public void configure(CheckEnvironment environment) {
        pairs = environment.controlFiles().parsed("badmailfromto", BadMailFromTo::parse);
    }

    private static List<Pair> parse(List<ControlLine> lines) {
        List<Pair> pairs = new ArrayList<>();
        for (ControlLine line : lines) {
            String[] words = line.text().split("\\s+");
            if (words.length < 2) {
                throw new ControlFileException(line, "needs a sender and a recipient");
            }
            pairs.add(new Pair(BadAddressPattern.parse(words[0], line), BadAddressPattern.parse(words[1], line)));
        }
        return List.copyOf(pairs);
    }

    @Override
    public Verdict rcpt(Connection connection, EnvelopeAddress recipient) {
        EnvelopeAddress sender = connection.sender().orElse(EnvelopeAddress.nullSender());
        if (sender.isNullSender()) {
            return Verdict.DECLINED;
        }
        for (Pair pair : pairs.get()) {
            if (pair.from.matches(sender) && pair.to.matches(recipient)) {
                return Verdict.deny("mail to " + recipient.normalized() + " not accepted here", "1.1");
            }
        }
        return Verdict.DECLINED;
    }

    private static final class Pair {
        private final BadAddressPattern from;
        private final BadAddressPattern to;

        Pair(BadAddressPattern from, BadAddressPattern to) {
            this.from = from;
            this.to = to;
        }
    }
}
