package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A SCRAM-SHA-256 verifier computed on this side (RFC 5802, RFC 7677), in the form PostgreSQL stores
 * in {@code pg_authid}: {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>}. Sent as
 * {@code PASSWORD '<verifier>'}, the server keeps it as it is, so the password itself never reaches
 * the server: not its statistics ({@code pg_stat_statements}), not its log. The generated passwords
 * are ASCII letters and digits, which SASLprep leaves as they are.
 */
final class ScramVerifier {

    /** PostgreSQL's default {@code scram_iterations}. */
    static final int ITERATIONS = 4096;
    private static final int SALT_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ScramVerifier() {
    }

    static String of(Secret password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return of(password, salt, ITERATIONS);
    }

    static String of(Secret password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password.reveal().toCharArray(), salt, iterations, 256);
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            spec.clearPassword();
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(salted, "Client Key"));
            byte[] serverKey = hmac(salted, "Server Key");
            Base64.Encoder base64 = Base64.getEncoder();
            return "SCRAM-SHA-256$" + iterations + ":" + base64.encodeToString(salt) + "$" + base64.encodeToString(storedKey) + ":"
                    + base64.encodeToString(serverKey);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot compute SCRAM-SHA-256 (PBKDF2WithHmacSHA256, HmacSHA256): " + e, e);
        }
    }

    private static byte[] hmac(byte[] key, String text) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
    }
}
