package io.reactivedb.diagnostics;

/**
 * A server's connection limit.
 *
 * @param maxConnections {@code max_connections}
 * @param reserved       connections ordinary roles cannot use ({@code superuser_reserved_connections}, and
 *                       {@code reserved_connections} from PostgreSQL 16)
 */
public record ServerCapacity(int maxConnections, int reserved) {

    public ServerCapacity {
        if (maxConnections < 1 || reserved < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 1 and reserved >= 0 but were " + maxConnections + ", " + reserved);
        }
    }
}
