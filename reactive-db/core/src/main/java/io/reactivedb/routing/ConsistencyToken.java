package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.util.Objects;

/**
 * The WAL position of a caller's last write: a replica that has replayed up to it shows that write.
 * Its text form ({@code 0/16B3748}) can travel between processes, for example in an HTTP header.
 */
public record ConsistencyToken(Lsn lsn) {

    public ConsistencyToken {
        Objects.requireNonNull(lsn, "lsn");
    }

    /**
     * Parses the text form.
     *
     * @throws IllegalArgumentException when the text is not an LSN
     */
    public static ConsistencyToken parse(String text) {
        return new ConsistencyToken(Lsn.parse(text.trim()));
    }

    @Override
    public String toString() {
        return lsn.toString();
    }
}
