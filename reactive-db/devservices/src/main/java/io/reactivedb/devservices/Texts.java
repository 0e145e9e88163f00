package io.reactivedb.devservices;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** Small text helpers: output tails, log tails, durations for messages. */
final class Texts {

    /** Lines of output or log quoted in exception messages. */
    static final int TAIL_LINES = 30;
    private static final int MAX_TAIL_BYTES = 64 * 1024;

    private Texts() {
    }

    /** The last {@code lines} lines of {@code text}. */
    static String tail(String text, int lines) {
        List<String> all = Arrays.asList(text.strip().split("\\R"));
        if (all.size() <= lines) {
            return String.join("\n", all);
        }
        return "[...]\n" + String.join("\n", all.subList(all.size() - lines, all.size()));
    }

    /** The last lines of a file, or a note saying why it could not be read. Never throws. */
    static String tailOfFile(Path file, int lines) {
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            long size = channel.size();
            long start = Math.max(0, size - MAX_TAIL_BYTES);
            channel.position(start);
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // keep reading until the buffer is full or the file ends
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            return text.isBlank() ? "(" + file + " is empty)" : tail(text, lines);
        } catch (NoSuchFileException e) {
            return "(" + file + " does not exist)";
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** {@code 1.234 s}. */
    static String seconds(Duration duration) {
        return String.format(java.util.Locale.ROOT, "%.3f s", duration.toMillis() / 1000.0);
    }

    static String seconds(long startNanos) {
        return seconds(Duration.ofNanos(System.nanoTime() - startNanos));
    }
}
