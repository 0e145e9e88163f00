package io.reactivedb.backup;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Passes bytes through while hashing and counting them (the count is read by the progress
 * reporter on another thread). Closing it forces a file channel to disk first, when given.
 */
final class Tap extends FilterOutputStream {

    private final MessageDigest digest;
    private final AtomicLong count;
    private final @Nullable FileChannel sync;

    Tap(OutputStream out, MessageDigest digest, AtomicLong count, @Nullable FileChannel sync) {
        super(out);
        this.digest = digest;
        this.count = count;
        this.sync = sync;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digest.update(b, off, len);
        count.addAndGet(len);
    }

    @Override
    public void close() throws IOException {
        try {
            out.flush();
            if (sync != null && sync.isOpen()) {
                sync.force(true);
            }
        } finally {
            out.close();
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            text.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return text.toString();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
