package io.reactivedb.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The encrypted chunk format: round trip, and every kind of damage detected. */
class ChunkedCipherTest {

    private static final int CHUNK = 64;
    private static final int SEALED = CHUNK + ChunkedCipher.TAG_LENGTH;
    private static final int HEADER = ChunkedCipher.HEADER_LENGTH;

    private final EncryptionKey key = EncryptionKey.generate();

    private static byte[] data(int length) {
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        return data;
    }

    private byte[] encrypt(byte[] plain, EncryptionKey with) throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = ChunkedCipher.encrypting(sink, with, CHUNK, new SecureRandom())) {
            // Odd write sizes, so chunk boundaries fall inside writes.
            int off = 0;
            int step = 1;
            while (off < plain.length) {
                int n = Math.min(step, plain.length - off);
                out.write(plain, off, n);
                off += n;
                step = step * 3 % 97 + 1;
            }
        }
        return sink.toByteArray();
    }

    private byte[] decrypt(byte[] sealed, EncryptionKey with) throws IOException {
        try (InputStream in = ChunkedCipher.decrypting(new ByteArrayInputStream(sealed), with)) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 10 * CHUNK + 17})
    void roundTripsAnyLengthWithOneTagPerChunk(int length) throws IOException {
        byte[] plain = data(length);
        byte[] sealed = encrypt(plain, key);
        int chunks = Math.max(1, (length + CHUNK - 1) / CHUNK);
        assertThat(sealed).hasSize(HEADER + length + chunks * ChunkedCipher.TAG_LENGTH);
        assertThat(decrypt(sealed, key)).isEqualTo(plain);
    }

    @Test
    void theSameDataEncryptsDifferentlyEachTime() throws IOException {
        byte[] plain = data(100);
        assertThat(encrypt(plain, key)).isNotEqualTo(encrypt(plain, key));
    }

    @Test
    void aFlippedBitAnywhereFailsAuthentication() throws IOException {
        byte[] sealed = encrypt(data(3 * CHUNK + 5), key);
        // Header fields after the magic, then a byte in each chunk's ciphertext and tag.
        for (int position : new int[] {HEADER - 1, HEADER, HEADER + SEALED - 1, HEADER + SEALED + 10, sealed.length - 1}) {
            byte[] damaged = sealed.clone();
            damaged[position] ^= 0x01;
            assertThatThrownBy(() -> decrypt(damaged, key)).as("flip at %d", position)
                    .isInstanceOf(BackupIntegrityException.class);
        }
        byte[] damagedChunk = sealed.clone();
        damagedChunk[HEADER + SEALED + 3] ^= 0x40;
        assertThatThrownBy(() -> decrypt(damagedChunk, key))
                .isInstanceOf(BackupIntegrityException.class)
                .hasMessageContaining("chunk 1 of the encrypted backup failed authentication")
                .satisfies(e -> assertThat(((BackupIntegrityException) e).wrongKey()).isFalse());
    }

    @Test
    void truncationAtAChunkBoundaryOrInsideAChunkIsDetected() throws IOException {
        byte[] sealed = encrypt(data(3 * CHUNK + 5), key);
        byte[] atBoundary = Arrays.copyOf(sealed, HEADER + 2 * SEALED);
        assertThatThrownBy(() -> decrypt(atBoundary, key)).isInstanceOf(BackupIntegrityException.class)
                .hasMessageContaining("chunk 1").hasMessageContaining("truncated");
        byte[] inside = Arrays.copyOf(sealed, sealed.length - 3);
        assertThatThrownBy(() -> decrypt(inside, key)).isInstanceOf(BackupIntegrityException.class);
        byte[] headerOnly = Arrays.copyOf(sealed, HEADER);
        assertThatThrownBy(() -> decrypt(headerOnly, key)).isInstanceOf(BackupIntegrityException.class).hasMessageContaining("truncated");
        byte[] halfHeader = Arrays.copyOf(sealed, HEADER / 2);
        assertThatThrownBy(() -> decrypt(halfHeader, key)).isInstanceOf(BackupIntegrityException.class).hasMessageContaining("header");
    }

    @Test
    void reorderedDroppedOrAppendedChunksAreDetected() throws IOException {
        byte[] sealed = encrypt(data(3 * CHUNK + 5), key);
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, HEADER, swapped, HEADER + SEALED, SEALED);
        System.arraycopy(sealed, HEADER + SEALED, swapped, HEADER, SEALED);
        assertThatThrownBy(() -> decrypt(swapped, key)).isInstanceOf(BackupIntegrityException.class).hasMessageContaining("chunk 0");

        byte[] dropped = new byte[sealed.length - SEALED];
        System.arraycopy(sealed, 0, dropped, 0, HEADER + SEALED);
        System.arraycopy(sealed, HEADER + 2 * SEALED, dropped, HEADER + SEALED, sealed.length - HEADER - 2 * SEALED);
        assertThatThrownBy(() -> decrypt(dropped, key)).isInstanceOf(BackupIntegrityException.class).hasMessageContaining("chunk 1");

        byte[] appended = Arrays.copyOf(sealed, sealed.length + SEALED);
        System.arraycopy(sealed, HEADER, appended, sealed.length, SEALED);
        assertThatThrownBy(() -> decrypt(appended, key)).isInstanceOf(BackupIntegrityException.class);
    }

    @Test
    void aWrongKeyIsToldApartFromDamage() throws IOException {
        byte[] sealed = encrypt(data(500), key);
        assertThatThrownBy(() -> decrypt(sealed, EncryptionKey.generate()))
                .isInstanceOf(BackupIntegrityException.class)
                .hasMessage("the configured BACKUP_ENCRYPTION_KEY is not the key this backup was encrypted with")
                .satisfies(e -> assertThat(((BackupIntegrityException) e).wrongKey()).isTrue());
    }

    @Test
    void plainDataIsNotMistakenForAnEncryptedBackup() {
        byte[] gzip = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 0};
        assertThat(ChunkedCipher.looksEncrypted(gzip)).isFalse();
        assertThatThrownBy(() -> decrypt(Arrays.copyOf(gzip, HEADER + 20), key)).isInstanceOf(BackupIntegrityException.class)
                .hasMessageContaining("header");
    }

    @Test
    void hkdfMatchesRfc5869TestCase1() {
        byte[] ikm = new byte[22];
        Arrays.fill(ikm, (byte) 0x0b);
        byte[] salt = hex("000102030405060708090a0b0c");
        byte[] info = hex("f0f1f2f3f4f5f6f7f8f9");
        assertThat(ChunkedCipher.hkdf(ikm, salt, info, 32))
                .isEqualTo(hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"));
    }

    private static byte[] hex(String text) {
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
