package io.reactivedb.backup;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM over a stream, in chunks that are each authenticated on their own (the STREAM
 * construction of Hoang, Reyhanitabar, Rogaway and Vizár), so a large backup is never held in
 * memory and decryption never trusts a byte before its chunk's tag has been checked. The JDK's GCM
 * buffers everything it decrypts until {@code doFinal}; one {@code doFinal} per chunk bounds that
 * to one chunk.
 *
 * <pre>
 * header  (60 bytes): magic "RDBENC01" (8) | plaintext chunk size, int32 big-endian (4) |
 *                     salt (32, random per file) | key check (16)
 * chunk i:            AES-256-GCM(data key, nonce = 0x00000000 | i as int64 big-endian,
 *                     aad = header | i as int64 | final flag (1 byte, 1 on the last chunk only),
 *                     plaintext of chunk-size bytes; the last chunk 0 to chunk-size bytes)
 *                     = ciphertext | 16-byte tag
 * </pre>
 *
 * <p>The data key and the key check are derived with HKDF-SHA256 (RFC 5869) from the configured
 * {@link EncryptionKey} and the file's salt, with different info strings; so every file has its own
 * key, the chunk counter as nonce never repeats under a key, and a wrong key is told apart from an
 * altered file before any chunk is decrypted. The index in nonce and AAD detects reordered, dropped
 * or duplicated chunks; the final flag detects a file cut at a chunk boundary or extended after
 * its last chunk; the header in every chunk's AAD binds the header.
 */
final class ChunkedCipher {

    static final byte[] MAGIC = "RDBENC01".getBytes(StandardCharsets.US_ASCII);
    static final int DEFAULT_CHUNK_SIZE = 256 * 1024;
    static final int SALT_LENGTH = 32;
    static final int KEY_CHECK_LENGTH = 16;
    static final int HEADER_LENGTH = MAGIC.length + 4 + SALT_LENGTH + KEY_CHECK_LENGTH;
    static final int TAG_LENGTH = 16;
    private static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;
    private static final byte[] DATA_KEY_INFO = "reactive-db backup v1 data key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_CHECK_INFO = "reactive-db backup v1 key check".getBytes(StandardCharsets.US_ASCII);

    private ChunkedCipher() {
    }

    /** Whether {@code firstBytes} start like an encrypted backup. */
    static boolean looksEncrypted(byte[] firstBytes) {
        return firstBytes.length >= MAGIC.length && Arrays.equals(Arrays.copyOf(firstBytes, MAGIC.length), MAGIC);
    }

    /** A stream that encrypts what is written to it into {@code out}; {@code close()} writes the final chunk and closes {@code out}. */
    static OutputStream encrypting(OutputStream out, EncryptionKey key) throws IOException {
        return encrypting(out, key, DEFAULT_CHUNK_SIZE, new SecureRandom());
    }

    static OutputStream encrypting(OutputStream out, EncryptionKey key, int chunkSize, SecureRandom random) throws IOException {
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunkSize must be 1 to " + MAX_CHUNK_SIZE + " but was " + chunkSize);
        }
        byte[] salt = new byte[SALT_LENGTH];
        random.nextBytes(salt);
        byte[] master = key.bytes();
        try {
            byte[] dataKey = hkdf(master, salt, DATA_KEY_INFO, 32);
            byte[] check = hkdf(master, salt, KEY_CHECK_INFO, KEY_CHECK_LENGTH);
            byte[] header = ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putInt(chunkSize).put(salt).put(check).array();
            out.write(header);
            return new Encrypting(out, new SecretKeySpec(dataKey, "AES"), header, chunkSize);
        } finally {
            Arrays.fill(master, (byte) 0);
        }
    }

    /**
     * A stream of the plaintext of {@code in}. Reading it throws {@link BackupIntegrityException}
     * when the key is not the one the file was encrypted with, or when a chunk fails authentication
     * (altered, reordered, truncated or extended data).
     */
    static InputStream decrypting(InputStream in, EncryptionKey key) throws IOException {
        byte[] header = new byte[HEADER_LENGTH];
        try {
            new DataInputStream(in).readFully(header);
        } catch (EOFException e) {
            throw BackupIntegrityException.corrupt("the encrypted backup is shorter than its header (" + HEADER_LENGTH + " bytes): truncated");
        }
        if (!looksEncrypted(header)) {
            throw BackupIntegrityException.corrupt("the file does not start with the encrypted backup header 'RDBENC01'");
        }
        ByteBuffer fields = ByteBuffer.wrap(header, MAGIC.length, HEADER_LENGTH - MAGIC.length);
        int chunkSize = fields.getInt();
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw BackupIntegrityException.corrupt("the encrypted backup header is damaged (chunk size " + chunkSize + ")");
        }
        byte[] salt = new byte[SALT_LENGTH];
        fields.get(salt);
        byte[] check = new byte[KEY_CHECK_LENGTH];
        fields.get(check);
        byte[] master = key.bytes();
        try {
            if (!MessageDigest.isEqual(check, hkdf(master, salt, KEY_CHECK_INFO, KEY_CHECK_LENGTH))) {
                throw BackupIntegrityException.key("the configured BACKUP_ENCRYPTION_KEY is not the key this backup was encrypted with");
            }
            return new Decrypting(in, new SecretKeySpec(hkdf(master, salt, DATA_KEY_INFO, 32), "AES"), header, chunkSize);
        } finally {
            Arrays.fill(master, (byte) 0);
        }
    }

    /** HKDF-SHA256 extract and expand (RFC 5869), at most 32 bytes of output. */
    static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            mac.update(info);
            mac.update((byte) 1);
            return Arrays.copyOf(mac.doFinal(), length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static byte[] nonce(long index) {
        return ByteBuffer.allocate(12).putInt(0).putLong(index).array();
    }

    private static byte[] aad(byte[] header, long index, boolean last) {
        return ByteBuffer.allocate(header.length + 9).put(header).putLong(index).put((byte) (last ? 1 : 0)).array();
    }

    private static Cipher cipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available in this JVM", e);
        }
    }

    private static final class Encrypting extends FilterOutputStream {
        private final SecretKeySpec key;
        private final byte[] header;
        private final byte[] buffer;
        private final Cipher cipher = cipher();
        private int filled;
        private long index;
        private boolean closed;

        Encrypting(OutputStream out, SecretKeySpec key, byte[] header, int chunkSize) {
            super(out);
            this.key = key;
            this.header = header;
            this.buffer = new byte[chunkSize];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                if (filled == buffer.length) {
                    // More data follows, so the full buffer is not the last chunk.
                    seal(false);
                }
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                seal(true);
            } finally {
                out.close();
            }
        }

        private void seal(boolean last) throws IOException {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce(index)));
                cipher.updateAAD(aad(header, index, last));
                out.write(cipher.doFinal(buffer, 0, filled));
            } catch (GeneralSecurityException e) {
                throw new IOException("encrypting chunk " + index + " failed: " + e.getMessage(), e);
            }
            index++;
            filled = 0;
        }
    }

    private static final class Decrypting extends InputStream {
        private final PushbackInputStream in;
        private final SecretKeySpec key;
        private final byte[] header;
        private final byte[] sealed;
        private final Cipher cipher = cipher();
        private byte[] plain = new byte[0];
        private int position;
        private long index;
        private boolean finished;

        Decrypting(InputStream in, SecretKeySpec key, byte[] header, int chunkSize) {
            this.in = new PushbackInputStream(in, 1);
            this.key = key;
            this.header = header;
            this.sealed = new byte[chunkSize + TAG_LENGTH];
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (position == plain.length) {
                if (finished) {
                    return -1;
                }
                next();
            }
            int n = Math.min(len, plain.length - position);
            System.arraycopy(plain, position, b, off, n);
            position += n;
            return n;
        }

        private void next() throws IOException {
            int n = in.readNBytes(sealed, 0, sealed.length);
            boolean last;
            if (n < sealed.length) {
                last = true;
            } else {
                int peek = in.read();
                last = peek < 0;
                if (!last) {
                    in.unread(peek);
                }
            }
            if (n < TAG_LENGTH) {
                throw BackupIntegrityException.corrupt("the encrypted backup is truncated: chunk " + index + " has " + n
                        + " bytes, fewer than its authentication tag");
            }
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce(index)));
                cipher.updateAAD(aad(header, index, last));
                plain = cipher.doFinal(sealed, 0, n);
            } catch (AEADBadTagException e) {
                throw BackupIntegrityException.corrupt("chunk " + index + " of the encrypted backup failed authentication"
                        + (last ? " (it is not the final chunk the file was written with: the file was truncated, or altered)"
                                : ": the file was altered, or its chunks reordered"));
            } catch (GeneralSecurityException e) {
                throw new IOException("decrypting chunk " + index + " failed: " + e.getMessage(), e);
            }
            position = 0;
            index++;
            finished = last;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
