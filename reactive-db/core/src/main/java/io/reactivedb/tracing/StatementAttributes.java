package io.reactivedb.tracing;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a tracer is told about one statement, named after the OpenTelemetry database semantic
 * conventions (<a href="https://opentelemetry.io/docs/specs/semconv/database/">semconv</a>) where
 * they have a name. Bound values are never part of it: {@link #queryText()} is the SQL as written,
 * with its {@code $n} placeholders.
 *
 * @param namespace     {@code db.namespace}: the database name
 * @param operationName {@code db.operation.name}: the statement's first keyword, upper case
 *                      ({@link SqlOperation#of}); {@code BATCH} or {@code BATCH <keyword>} for a batch
 * @param queryText     {@code db.query.text}: the SQL text with placeholders (a batch's statements joined by {@code ;})
 * @param serverAddress {@code server.address}: the endpoint's configured host
 * @param serverPort    {@code server.port}
 * @param endpoint      {@code reactivedb.endpoint}: the endpoint's name, for example {@code replica-1}
 * @param role          {@code reactivedb.role}: {@code primary} when the endpoint is the writer when
 *                      the connection was handed over, else {@code replica}
 * @param consistency   {@code reactivedb.consistency}: the read consistency asked for
 *                      ({@code strong}, {@code read_your_writes}, {@code bounded_staleness},
 *                      {@code eventual}), {@code strong} for writes and transactions on the writer
 * @param attempt       {@code reactivedb.attempt}: the unit's attempt, from 1 (a retry resubscribes); 1 for loans
 * @param batchSize     {@code db.operation.batch.size}: the statements of a batch or the bindings of
 *                      a statement run with {@code add()}; 1 otherwise
 * @param acquireWait   on the first statement of a connection use only: how long the unit (or loan)
 *                      waited for the pooled connection, from the acquire's subscription to the hand-over
 */
public record StatementAttributes(String namespace, String operationName, String queryText, String serverAddress, int serverPort,
                                  String endpoint, String role, String consistency, int attempt, int batchSize,
                                  Optional<Duration> acquireWait) {

    /** {@code db.system.name} of every statement. */
    public static final String SYSTEM = "postgresql";

    public StatementAttributes {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(operationName, "operationName");
        Objects.requireNonNull(queryText, "queryText");
        Objects.requireNonNull(serverAddress, "serverAddress");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(acquireWait, "acquireWait");
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1 but was " + attempt);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1 but was " + batchSize);
        }
    }
}
