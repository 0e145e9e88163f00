package io.reactivedb.internal.health;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Readable;
import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Probes one PostgreSQL server over a connection of its own, opened on first use and kept between
 * probes (one connection per endpoint, however many subscribers watch). A probe that fails or is
 * cancelled (timed out) closes that connection; the next probe opens a fresh one.
 *
 * <p>One round trip reads: {@code pg_is_in_recovery()}, the server version, the server time, the
 * replay LSN (in recovery) or the insert LSN (not in recovery), the time since the last replayed
 * transaction, and the timeline of a server not in recovery, from the name of its current WAL
 * file ({@code pg_control_checkpoint()} only moves at the next checkpoint after a promotion).
 */
public final class PostgresProbe implements EndpointProbe {

    static final String PROBE_SQL = "SELECT pg_is_in_recovery(), current_setting('server_version'), now(),"
            + " CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text ELSE pg_current_wal_insert_lsn()::text END,"
            + " CASE WHEN pg_is_in_recovery() THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END,"
            + " CASE WHEN pg_is_in_recovery() THEN NULL"
            + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint END"
            + " /* reactive-db health probe */";

    private final String endpoint;
    private final PostgresqlConnectionFactory factory;
    private final AtomicReference<@Nullable PostgresqlConnection> connection = new AtomicReference<>();

    public PostgresProbe(String endpoint, PostgresqlConnectionConfiguration configuration) {
        this.endpoint = endpoint;
        this.factory = new PostgresqlConnectionFactory(configuration);
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public Mono<ProbeResult> probe() {
        return Mono.defer(() -> {
            long started = System.nanoTime();
            PostgresqlConnection open = connection.get();
            Mono<PostgresqlConnection> conn = open != null ? Mono.just(open) : factory.create().doOnNext(connection::set);
            return conn.flatMap(c -> c.createStatement(PROBE_SQL).execute()
                            .flatMap(result -> result.map(row -> read(row, Duration.ofNanos(System.nanoTime() - started))))
                            .next())
                    .doOnError(error -> discard())
                    .doOnCancel(this::discard);
        });
    }

    private static ProbeResult read(Readable row, Duration latency) {
        boolean inRecovery = Boolean.TRUE.equals(row.get(0, Boolean.class));
        String version = String.valueOf(row.get(1, String.class));
        OffsetDateTime now = row.get(2, OffsetDateTime.class);
        String lsn = row.get(3, String.class);
        java.time.Instant serverTime = now == null ? java.time.Instant.EPOCH : now.toInstant();
        if (inRecovery) {
            Double sinceReplay = row.get(4, Double.class);
            return ProbeResult.replica(latency, version, serverTime,
                    Optional.ofNullable(lsn).map(Lsn::parse),
                    Optional.ofNullable(sinceReplay).map(seconds -> Duration.ofNanos((long) (seconds * 1e9))));
        }
        Long timeline = row.get(5, Long.class);
        return ProbeResult.primary(latency, version, serverTime, Lsn.parse(String.valueOf(lsn)), timeline == null ? 0 : timeline);
    }

    private void discard() {
        PostgresqlConnection stale = connection.getAndSet(null);
        if (stale != null) {
            stale.close().onErrorResume(e -> Mono.empty()).subscribe();
        }
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            PostgresqlConnection open = connection.getAndSet(null);
            return open == null ? Mono.empty() : open.close();
        });
    }
}
