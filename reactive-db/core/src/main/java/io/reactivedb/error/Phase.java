package io.reactivedb.error;

/** Where in its life a unit of work failed; it decides whether a retry could apply work twice. */
public enum Phase {
    /** Getting a connection: pool acquire, connect, TLS, authentication. Nothing was sent. */
    ACQUIRE,
    /** Running statements. A statement may have reached the server. */
    EXECUTE,
    /** Committing. The commit may have been applied even if no answer came back. */
    COMMIT
}
