package org.policyrouter.core.webadmin;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Set;

/**
 * The key pair of WebAdmin's JWT authentication in the bundled server: the private key signs the
 * tokens of {@code bin/policy-router} (whoever can read it is a WebAdmin administrator), James checks
 * them with the public key ({@code jwt.publickeypem.url} in {@code conf/webadmin.properties}).
 * Both live under {@code var/webadmin/}, the one directory tree the server may write (conf/ is
 * root's in the systemd unit), owner-only: the directory 0700, the files 0600.
 * <p>
 * Made at the first start, before James reads its configuration; an existing private key is never
 * replaced (tokens and scripts keep working across restarts): to rotate it, delete both files and
 * restart. PEM, PKCS#8 and X.509 SubjectPublicKeyInfo, so openssl and other JWT tools read them.
 */
public final class WebAdminKeys {
    public static final String DIRECTORY = "var/webadmin";
    public static final String PRIVATE_KEY = DIRECTORY + "/jwt-private.pem";
    public static final String PUBLIC_KEY = DIRECTORY + "/jwt-public.pem";
    public static final String KEY_ENVIRONMENT = "POLICY_ROUTER_WEBADMIN_KEY";
    /** RS256 needs at least 2048 bits (James's JWT library refuses smaller keys). */
    static final int KEY_BITS = 2048;

    private static final Set<PosixFilePermission> OWNER_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");

    private WebAdminKeys() {
    }

    /**
     * {@code java -cp … org.policyrouter.core.webadmin.WebAdminKeys [HOME]}: makes the pair under HOME
     * (default: the current directory) as the bundled server does, for a stock James (docs/webadmin.md).
     */
    public static void main(String[] args) throws IOException {
        Path home = Path.of(args.length > 0 ? args[0] : ".");
        boolean created = ensure(home);
        System.out.println((created ? "made " : "kept the existing ") + home.resolve(PRIVATE_KEY) + " and " + home.resolve(PUBLIC_KEY));
    }

    /**
     * Makes the pair under {@code home} unless the private key exists; writes a missing public key
     * from the private one. Returns whether a new private key was made.
     */
    public static boolean ensure(Path home) throws IOException {
        Path directory = home.resolve(DIRECTORY);
        Files.createDirectories(directory);
        // explicit, whatever the umask of the process (tests run the server in a JVM with 022)
        Files.setPosixFilePermissions(directory, OWNER_DIRECTORY);
        Path privateKey = home.resolve(PRIVATE_KEY);
        boolean created = false;
        if (!Files.exists(privateKey)) {
            created = writeNewPrivateKey(privateKey);
        }
        Path publicKey = home.resolve(PUBLIC_KEY);
        if (!Files.exists(publicKey)) {
            writePrivately(publicKey, pem("PUBLIC KEY", publicKeyOf(readPrivateKey(privateKey)).getEncoded()), true);
        }
        return created;
    }

    /**
     * The signing key the command line uses: {@code $POLICY_ROUTER_WEBADMIN_KEY} when set (a copy of
     * the key, or a server run from another folder), else the key of the distribution at {@code home}.
     */
    public static Path signingKeyFile(Path home) {
        String file = System.getenv(KEY_ENVIRONMENT);
        return file == null || file.isEmpty() ? home.resolve(PRIVATE_KEY) : Path.of(file);
    }

    /** The private key in {@link #signingKeyFile(Path)}. */
    public static PrivateKey privateKey(Path home) throws IOException {
        return readPrivateKey(signingKeyFile(home));
    }

    private static boolean writeNewPrivateKey(Path target) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(KEY_BITS);
            byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
            // no replacing: a second server starting on the same folder at the same moment keeps the first key
            return writePrivately(target, pem("PRIVATE KEY", pkcs8), false);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make an RSA key pair: " + e, e);
        }
    }

    /** Written whole under a temporary name created 0600, then renamed: never seen half-written or readable by others. */
    private static boolean writePrivately(Path target, String content, boolean replace) throws IOException {
        Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp",
            PosixFilePermissions.asFileAttribute(OWNER_FILE));
        try {
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(temporary, OWNER_FILE);
            if (replace) {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return true;
            }
            try {
                // a hard link fails if the target exists, where a rename would replace it
                Files.createLink(target, temporary);
            } catch (UnsupportedOperationException noHardLinks) {
                Files.move(temporary, target);
            }
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static PrivateKey readPrivateKey(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException("no WebAdmin signing key at " + file + ": the server makes it at its first start from this folder"
                + " ($" + KEY_ENVIRONMENT + " names another file)", e);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot read the WebAdmin signing key " + file + ": run this as the server's user or root", e);
        } catch (IOException e) {
            throw new IOException("cannot read the WebAdmin signing key " + file + ": " + e, e);
        }
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " is not an RSA private key in PKCS#8 PEM (BEGIN PRIVATE KEY): " + e.getMessage(), e);
        }
    }

    /** An RSA private key in PKCS#8 carries the modulus and public exponent: the public key follows from it. */
    static PublicKey publicKeyOf(PrivateKey key) throws IOException {
        if (!(key instanceof RSAPrivateCrtKey)) {
            throw new IOException("the WebAdmin signing key is not an RSA key with its public exponent");
        }
        RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) key;
        BigInteger modulus = rsa.getModulus();
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(modulus, rsa.getPublicExponent()));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot derive the public key: " + e, e);
        }
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }
}
