package io.reactivedb.diagnostics;

import static io.reactivedb.diagnostics.Rows.behind;
import static io.reactivedb.diagnostics.Rows.instant;
import static io.reactivedb.diagnostics.Rows.lsn;
import static io.reactivedb.diagnostics.Rows.optionalText;
import static io.reactivedb.diagnostics.Rows.seconds;
import static io.reactivedb.diagnostics.Rows.text;


import io.reactivedb.health.Lsn;
import io.reactivedb.routing.DbSession;
import java.time.Duration;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * The replication queries of {@link Diagnostics#replication(String)}, inside its read-only
 * transaction: a replica's receive and replay positions, or a primary's standbys and slots.
 */
final class ReplicationQueries {

    private ReplicationQueries() {
    }

    static Mono<ReplicationStatus> replica(String endpoint, DbSession session) {
        return session.query("SELECT pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp(),"
                        + " pg_is_wal_replay_paused(),"
                        + " extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,"
                        + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1)",
                row -> {
                    Optional<Lsn> received = lsn(row, 0);
                    Optional<Lsn> replayed = lsn(row, 1);
                    Optional<Long> lagBytes = received.isPresent() && replayed.isPresent()
                            ? Optional.of(received.get().bytesAfter(replayed.get())) : Optional.empty();
                    // Caught up means no delay, however long ago the last commit was (an idle primary).
                    Optional<Duration> delay = lagBytes.filter(bytes -> bytes == 0).isPresent() ? Optional.of(Duration.ZERO) : seconds(row, 4);
                    return (ReplicationStatus) new ReplicationStatus.Replica(endpoint, received, replayed, lagBytes, delay,
                            Boolean.TRUE.equals(row.get(3, Boolean.class)), instant(row, 2), optionalText(row, 5));
                }).single();
    }

    static Mono<ReplicationStatus> primary(String endpoint, DbSession session) {
        return session.query("SELECT pg_current_wal_lsn()::text", row -> Lsn.parse(text(row, 0)))
                .single()
                .flatMap(current -> session.query(
                                "SELECT application_name, client_addr::text, state, sync_state, sent_lsn::text, write_lsn::text,"
                                        + " flush_lsn::text, replay_lsn::text, extract(epoch FROM write_lag)::float8,"
                                        + " extract(epoch FROM flush_lag)::float8, extract(epoch FROM replay_lag)::float8"
                                        + " FROM pg_stat_replication ORDER BY application_name, pid",
                                row -> {
                                    Optional<Lsn> sent = lsn(row, 4);
                                    Optional<Lsn> write = lsn(row, 5);
                                    Optional<Lsn> flush = lsn(row, 6);
                                    Optional<Lsn> replay = lsn(row, 7);
                                    return new ReplicationStatus.Standby(text(row, 0), optionalText(row, 1), optionalText(row, 2), optionalText(row, 3),
                                            sent, write, flush, replay, behind(current, sent), behind(current, write), behind(current, flush),
                                            behind(current, replay), seconds(row, 8), seconds(row, 9), seconds(row, 10));
                                })
                        .collectList()
                        .flatMap(standbys -> session.query(
                                        "SELECT slot_name, slot_type, active, restart_lsn::text, confirmed_flush_lsn::text,"
                                                + " wal_status FROM pg_replication_slots ORDER BY slot_name",
                                        row -> {
                                            Optional<Lsn> restart = lsn(row, 3);
                                            return new ReplicationStatus.Slot(text(row, 0), text(row, 1),
                                                    Boolean.TRUE.equals(row.get(2, Boolean.class)), restart, lsn(row, 4),
                                                    restart.map(current::bytesAfter), optionalText(row, 5));
                                        })
                                .collectList()
                                .map(slots -> (ReplicationStatus) new ReplicationStatus.Primary(endpoint, current, standbys, slots))));
    }
}
