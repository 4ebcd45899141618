package org.policyrouter.core.webadmin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Short-lived WebAdmin tokens, signed with {@link WebAdminKeys}' private key. James 3.8.1's
 * {@code JwtFilter} accepts a JWT whose signature its public key verifies, with a non-empty
 * {@code sub} and {@code admin: true}; its parser also refuses one past {@code exp}.
 * <p>
 * Made with the JDK alone (a JWT is three base64url parts: header, claims, RS256 signature):
 * James's JWT library is provided by the server, and the command line must not need it.
 */
public final class WebAdminTokens {
    /** What {@code bin/policy-router} signs for its own WebAdmin calls: a command takes seconds. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    public static final String DEFAULT_SUBJECT = "policy-router";
    /** The subject goes into JSON as it is: only characters that need no escaping. */
    private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");
    private static final String HEADER = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

    private WebAdminTokens() {
    }

    /** An administrator's token for {@code subject}, valid from {@code now} for {@code ttl}. */
    public static String sign(PrivateKey key, String subject, boolean admin, Duration ttl, Instant now) {
        if (!SUBJECT.matcher(subject).matches()) {
            throw new IllegalArgumentException("token subject '" + subject + "': letters, digits and . _ @ + - only");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token lifetime must be positive: " + ttl);
        }
        long issued = now.getEpochSecond();
        String claims = "{\"sub\":\"" + subject + "\",\"admin\":" + admin
            + ",\"iat\":" + issued + ",\"exp\":" + (issued + ttl.toSeconds()) + "}";
        String signed = base64Url(HEADER.getBytes(StandardCharsets.UTF_8)) + "." + base64Url(claims.getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + base64Url(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a WebAdmin token: " + e, e);
        }
    }

    /** The token {@code bin/policy-router} sends: subject policy-router, administrator, five minutes. */
    public static String forCommandLine(PrivateKey key) {
        return sign(key, DEFAULT_SUBJECT, true, DEFAULT_TTL, Instant.now());
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
