package io.reactivedb.backup;

import io.reactivedb.config.ConfigurationException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The AES-256 key backups are encrypted with ({@code BACKUP_ENCRYPTION_KEY}): exactly 32 random
 * bytes, written in base64 (standard or URL-safe alphabet, padding optional), for example the
 * output of {@code openssl rand -base64 32}. A passphrase is not accepted: there is no password
 * KDF, so the key must carry its full 256 bits. Each backup file derives its own data key from
 * this one and a random salt (HKDF-SHA256), see {@link ChunkedCipher}.
 *
 * <p>The key never appears in {@link #toString()}, logs or messages.
 */
public final class EncryptionKey {

    /** Key length in bytes. */
    public static final int LENGTH = 32;

    private final byte[] key;

    private EncryptionKey(byte[] key) {
        this.key = key;
    }

    /**
     * @throws ConfigurationException naming {@code setting} when the text is not base64 of exactly
     *                                32 bytes; the message never repeats the text
     */
    public static EncryptionKey fromBase64(String setting, String base64) {
        Objects.requireNonNull(base64, setting);
        String text = base64.strip();
        byte[] decoded;
        try {
            decoded = text.indexOf('-') >= 0 || text.indexOf('_') >= 0 ? Base64.getUrlDecoder().decode(text) : Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(setting, "must be base64 of exactly 32 random bytes (for example `openssl rand -base64 32`), "
                    + "but is not valid base64");
        }
        if (decoded.length != LENGTH) {
            int length = decoded.length;
            Arrays.fill(decoded, (byte) 0);
            throw new ConfigurationException(setting, "must be base64 of exactly 32 random bytes (for example `openssl rand -base64 32`), "
                    + "but decodes to " + length + " bytes");
        }
        return new EncryptionKey(decoded);
    }

    /** A fresh random key (blocking: reads the system's entropy source). */
    public static EncryptionKey generate() {
        byte[] key = new byte[LENGTH];
        new SecureRandom().nextBytes(key);
        return new EncryptionKey(key);
    }

    /** The key in standard base64, for storing it somewhere safe. Never log it. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(key);
    }

    byte[] bytes() {
        return key.clone();
    }

    @Override
    public String toString() {
        return "EncryptionKey[******]";
    }
}
