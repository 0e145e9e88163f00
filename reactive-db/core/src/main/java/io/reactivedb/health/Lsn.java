package io.reactivedb.health;

import java.util.Locale;

/**
 * A PostgreSQL write-ahead-log position ({@code pg_lsn}), written {@code 16/B374D848}.
 *
 * @param value the 64-bit position, compared unsigned
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** Parses the server's text form {@code X/Y} (two hexadecimal halves). */
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hexadecimal): '" + text + "'");
        }
        try {
            long high = Long.parseLong(text.substring(0, slash), 16);
            long low = Long.parseLong(text.substring(slash + 1), 16);
            if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL || high < 0 || low < 0) {
                throw new IllegalArgumentException("not an LSN (halves are 32-bit): '" + text + "'");
            }
            return new Lsn((high << 32) | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hexadecimal): '" + text + "'", e);
        }
    }

    /** Bytes from {@code earlier} to this position; 0 when {@code earlier} is not before it. */
    public long bytesAfter(Lsn earlier) {
        return compareTo(earlier) > 0 ? value - earlier.value : 0;
    }

    public boolean isAtLeast(Lsn other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
