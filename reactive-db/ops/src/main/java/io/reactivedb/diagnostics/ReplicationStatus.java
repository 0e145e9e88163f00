package io.reactivedb.diagnostics;

import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Replication as the endpoint sees it: {@link Primary} on a server out of recovery, {@link Replica} on a standby. */
public sealed interface ReplicationStatus permits ReplicationStatus.Primary, ReplicationStatus.Replica {

    String endpoint();

    /**
     * @param currentLsn the primary's current WAL write position
     * @param standbys   connected standbys ({@code pg_stat_replication}), by name
     * @param slots      replication slots, by name
     */
    record Primary(String endpoint, Lsn currentLsn, List<Standby> standbys, List<Slot> slots) implements ReplicationStatus {
        public Primary {
            standbys = List.copyOf(standbys);
            slots = List.copyOf(slots);
        }
    }

    /**
     * @param receiveLsn      WAL received and flushed by this standby
     * @param replayLsn       WAL applied
     * @param replayLagBytes  received but not yet applied; empty when either position is unknown
     * @param replayDelay     since the last applied transaction's commit on the primary; zero when everything
     *                        received is applied (an idle primary commits nothing), empty before any replay
     * @param replayPaused    replay paused ({@code pg_wal_replay_pause()})
     * @param lastReplayed    commit time of the last applied transaction
     * @param receiverStatus  the WAL receiver's state ({@code streaming}, …); empty when none runs
     */
    record Replica(String endpoint, Optional<Lsn> receiveLsn, Optional<Lsn> replayLsn, Optional<Long> replayLagBytes,
                   Optional<Duration> replayDelay, boolean replayPaused, Optional<Instant> lastReplayed,
                   Optional<String> receiverStatus) implements ReplicationStatus {
    }

    /**
     * One connected standby. Byte lags are behind the primary's current position; time lags are the
     * server's {@code write_lag}/{@code flush_lag}/{@code replay_lag}, empty once the standby is idle
     * and caught up.
     *
     * <p>Without {@code pg_monitor} (or superuser) the server shows another role's standby with its
     * name and address only: state, positions and lags are then empty, never {@code 0} or
     * {@code "null"} (unknown is not caught up).
     *
     * @param name the standby's {@code application_name} (its {@code cluster_name} by default)
     */
    record Standby(String name, Optional<String> clientAddress, Optional<String> state, Optional<String> syncState,
                   Optional<Lsn> sentLsn, Optional<Lsn> writeLsn, Optional<Lsn> flushLsn, Optional<Lsn> replayLsn,
                   Optional<Long> sentLagBytes, Optional<Long> writeLagBytes, Optional<Long> flushLagBytes, Optional<Long> replayLagBytes,
                   Optional<Duration> writeLag, Optional<Duration> flushLag, Optional<Duration> replayLag) {
    }

    /**
     * @param type          {@code physical} or {@code logical}
     * @param retainedBytes WAL the slot keeps from removal (current position minus its restart position)
     * @param walStatus     {@code reserved}, {@code extended}, {@code unreserved} or {@code lost}
     */
    record Slot(String name, String type, boolean active, Optional<Lsn> restartLsn, Optional<Lsn> confirmedFlushLsn,
                Optional<Long> retainedBytes, Optional<String> walStatus) {
    }
}
