package io.reactivedb.routing;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * SQL identifiers from callers' strings (channel, table and column names): always double-quoted,
 * with embedded quotes doubled, so a name is never read as SQL. Quoting makes a name
 * case-sensitive: {@code Orders} and {@code orders} are different names, as in PostgreSQL.
 */
final class Identifiers {

    /** PostgreSQL's {@code NAMEDATALEN - 1}: longer names would be truncated silently by the server. */
    static final int MAX_BYTES = 63;

    private Identifiers() {
    }

    /**
     * {@code name} as a quoted identifier.
     *
     * @param what what the name is, for the message ("channel", "column")
     * @throws IllegalArgumentException when the name is empty, longer than 63 bytes in UTF-8, or holds a NUL character
     */
    static String quote(String what, String name) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain a NUL character");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_BYTES + " bytes in UTF-8 but was " + bytes);
        }
        return '"' + name.replace("\"", "\"\"") + '"';
    }

    /**
     * A table name, {@code table} or {@code schema.table} (split at the first dot; a name with a
     * dot of its own cannot be schema-qualified here), each part quoted.
     */
    static String qualified(String what, String name) {
        Objects.requireNonNull(name, what);
        int dot = name.indexOf('.');
        if (dot < 0) {
            return quote(what, name);
        }
        return quote(what + " schema", name.substring(0, dot)) + '.' + quote(what, name.substring(dot + 1));
    }
}
