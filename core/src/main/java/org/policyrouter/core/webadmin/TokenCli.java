package org.policyrouter.core.webadmin;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.policyrouter.core.Durations;

/**
 * {@code bin/policy-router token [--ttl 10m] [--subject NAME]}: prints a WebAdmin token for curl,
 * signed with the server's key ({@code var/webadmin/jwt-private.pem}, readable only by the
 * server's user and root; {@code $POLICY_ROUTER_WEBADMIN_KEY} names another file):
 * {@code curl -H "Authorization: Bearer $(bin/policy-router token)" http://127.0.0.1:8000/mailQueues}.
 * Exit status 0, 1 when the key cannot be read, 2 on wrong usage.
 */
public final class TokenCli {
    static final String USAGE = "usage: policy-router token [--ttl DURATION (default 5m, at most 1d)] [--subject NAME (default policy-router)]";
    /** A token cannot be revoked before it expires (short of rotating the key): keep them short. */
    static final Duration MAX_TTL = Duration.ofDays(1);

    private TokenCli() {
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("policy.router.home", "."));
        System.exit(run(Arrays.asList(args), home, System.out, System.err));
    }

    static int run(List<String> args, Path home, PrintStream out, PrintStream err) {
        Duration ttl = WebAdminTokens.DEFAULT_TTL;
        String subject = WebAdminTokens.DEFAULT_SUBJECT;
        try {
            // args.get(0) is the command name, "token"
            for (int i = 1; i < args.size(); i++) {
                String option = args.get(i);
                if (i + 1 >= args.size() || !(option.equals("--ttl") || option.equals("--subject"))) {
                    throw new IllegalArgumentException("unexpected '" + option + "'");
                }
                String value = args.get(++i);
                if (option.equals("--ttl")) {
                    ttl = Durations.parse(value, "--ttl");
                    if (ttl.compareTo(MAX_TTL) > 0 || ttl.isZero()) {
                        throw new IllegalArgumentException("--ttl " + value + ": between 1s and 1d");
                    }
                } else {
                    subject = value;
                }
            }
            out.println(WebAdminTokens.sign(WebAdminKeys.privateKey(home), subject, true, ttl, Instant.now()));
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("policy-router token: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (IOException e) {
            err.println("policy-router token: " + e.getMessage());
            return 1;
        }
    }
}
