package io.reactivedb.web;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.annotation.Transactional;
import reactor.core.publisher.Flux;

/**
 * A query that keeps its server busy long after its first row, run through Spring's
 * {@code DatabaseClient} over the router's {@code ConnectionFactory}: about 100 s of
 * {@code pg_sleep} in 1 ms steps. Each row names its backend and server, so a caller that takes the
 * first row knows which backend to watch. A bean of the shared test context ({@link WebIT}), so
 * {@code @Transactional} applies.
 */
public class BusyReads {

    static final String BUSY_QUERY = "SELECT g, pg_backend_pid() AS pid, inet_server_port() AS port, pg_sleep(0.001)"
            + " FROM generate_series(1, 100000) g";

    /** Which backend of which server ran the query. */
    public record Backend(int pid, int port) {
    }

    private final DatabaseClient client;

    public BusyReads(DatabaseClient client) {
        this.client = client;
    }

    /** Outside a transaction: on the primary. */
    public Flux<Backend> outsideATransaction() {
        return rows();
    }

    /** In a read-only transaction: on a replica. */
    @Transactional(readOnly = true)
    public Flux<Backend> inAReadOnlyTransaction() {
        return rows();
    }

    private Flux<Backend> rows() {
        return client.sql(BUSY_QUERY).map(row -> new Backend(row.get("pid", Integer.class), row.get("port", Integer.class))).all();
    }
}
