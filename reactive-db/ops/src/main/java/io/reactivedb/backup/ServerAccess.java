package io.reactivedb.backup;

import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.internal.pool.EndpointPool;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The SQL side of backups, over connections of their own (never the router's pools): the dump's
 * snapshot and row counts, and {@code CREATE}/{@code DROP}/{@code ALTER DATABASE} on the
 * maintenance database. Non-blocking (r2dbc).
 */
final class ServerAccess {

    /** Ordinary and partitioned tables outside the system schemas, not owned by an extension (pg_dump skips their data). */
    static final String TABLES_SQL = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"
            + " ORDER BY 1, 2";

    private final EndpointSettings server;
    private final String maintenanceDatabase;
    private final SessionSettings session = SessionSettings.builder().applicationName(PgTools.APPLICATION_NAME).build();

    ServerAccess(EndpointSettings server, String maintenanceDatabase) {
        this.server = server;
        this.maintenanceDatabase = maintenanceDatabase;
    }

    EndpointSettings server() {
        return server;
    }

    String describe() {
        return server.host() + ":" + server.port();
    }

    /** Runs {@code work} on a fresh connection to {@code database}, closed on complete, error and cancel. */
    <T> Flux<T> with(String database, Function<PostgresqlConnection, Flux<T>> work) {
        // The factory's constructor looks for driver extensions with a ServiceLoader: jar reads, so not on an event loop.
        Mono<PostgresqlConnection> connect = Mono.fromCallable(() -> new PostgresqlConnectionFactory(
                        EndpointPool.connectionConfiguration(server.toBuilder().database(database).build(), session)))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(PostgresqlConnectionFactory::create);
        return Flux.usingWhen(connect, work, PostgresqlConnection::close, (c, e) -> c.close(), PostgresqlConnection::close);
    }

    static Mono<Void> execute(PostgresqlConnection connection, String sql) {
        return connection.createStatement(sql).execute().flatMap(result -> result.getRowsUpdated()).then();
    }

    /** Exact row counts of every table, {@code schema.table}, in the connection's current snapshot. */
    static Mono<Map<String, Long>> countRows(PostgresqlConnection connection) {
        return connection.createStatement(TABLES_SQL).execute()
                .flatMap(result -> result.map(row -> new String[] {row.get(0, String.class), row.get(1, String.class)}))
                .collectList()
                .flatMapMany(tables -> Flux.fromIterable(tables).concatMap(table -> connection
                        .createStatement("SELECT count(*) FROM " + quote(table[0]) + "." + quote(table[1])).execute()
                        .flatMap(result -> result.map(row -> row.get(0, Long.class)))
                        .next()
                        .map(count -> Map.entry(table[0] + "." + table[1], count))))
                .collect(LinkedHashMap::new, (map, entry) -> map.put(entry.getKey(), entry.getValue()));
    }

    /**
     * Extensions the connection's login may not create: untrusted ones, unless it is a superuser
     * (what {@code pg_restore} would fail on, "permission denied to create extension").
     */
    static Flux<String> uncreatableExtensions(PostgresqlConnection connection) {
        return connection.createStatement("SELECT DISTINCT name FROM pg_available_extension_versions WHERE NOT trusted"
                        + " AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)").execute()
                .flatMap(result -> result.map(row -> row.get(0, String.class)));
    }

    /** The owner of {@code database}, or empty when there is no such database. */
    Mono<Optional<String>> owner(String database) {
        return with(maintenanceDatabase, c -> c.createStatement("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1")
                .bind("$1", database).execute()
                .flatMap(result -> result.map(row -> row.get(0, String.class))))
                .next().map(Optional::of).defaultIfEmpty(Optional.empty());
    }

    Mono<Void> createDatabase(String name, Optional<String> owner) {
        return with(maintenanceDatabase, c -> execute(c, "CREATE DATABASE " + quote(name) + " TEMPLATE template0"
                + owner.map(o -> " OWNER " + quote(o)).orElse("")).flux()).then();
    }

    /** Drops {@code name} if it exists, ending its sessions first (PostgreSQL 13 and later). */
    Mono<Void> dropDatabase(String name) {
        return with(maintenanceDatabase, c -> c.createStatement("SELECT current_setting('server_version_num')::int").execute()
                .flatMap(result -> result.map(row -> row.get(0, Integer.class)))
                .next()
                .flatMap(version -> execute(c, "DROP DATABASE IF EXISTS " + quote(name) + (version >= 130000 ? " WITH (FORCE)" : "")))
                .flux()).then();
    }

    Mono<Void> renameDatabase(String from, String to) {
        return with(maintenanceDatabase, c -> execute(c, "ALTER DATABASE " + quote(from) + " RENAME TO " + quote(to)).flux()).then();
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
