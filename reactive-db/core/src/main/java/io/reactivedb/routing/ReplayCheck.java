package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Asks a replica how far it has replayed, for a read-your-writes read whose token no replica is
 * known to have replayed yet (the last probe round is older than the write). Without it, every read
 * right after a write went to the primary until the next probe round.
 */
final class ReplayCheck {

    private static final Logger log = LoggerFactory.getLogger(ReplayCheck.class);
    /** Bound of asking a replica for its replay position before a read-your-writes read. */
    static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final String REPLAY_POSITION_SQL = "SELECT pg_last_wal_replay_lsn()::text";

    private final Scheduler scheduler;
    private final Duration cleanupTimeout;

    ReplayCheck(Scheduler scheduler, Duration cleanupTimeout) {
        this.scheduler = scheduler;
        this.cleanupTimeout = cleanupTimeout;
    }

    /** Whether {@code replica} has replayed up to {@code needed}; false when it has not, or the question failed or took too long. */
    Mono<Boolean> hasReplayed(Endpoint replica, Lsn needed) {
        return replayPosition(replica).filter(position -> position.isAtLeast(needed)).hasElement();
    }

    /** {@code pg_last_wal_replay_lsn()} on {@code replica}, recorded on it; empty when unknown or failed. */
    private Mono<Lsn> replayPosition(Endpoint replica) {
        return Mono.usingWhen(replica.pool().acquire().map(connection -> new Lease(replica, connection, scheduler, cleanupTimeout)),
                        lease -> lease.query(REPLAY_POSITION_SQL, row -> Optional.ofNullable(row.get(0, String.class))).next(),
                        Lease::release,
                        (lease, error) -> lease.releaseAfterError(error),
                        Lease::releaseAfterCancel)
                .flatMap(Mono::justOrEmpty)
                .map(Lsn::parse)
                .doOnNext(replica::replayedUpTo)
                .timeout(TIMEOUT, scheduler)
                .onErrorResume(error -> {
                    log.debug("[{}] could not read the replay position for a read-your-writes read: {}", replica.name(), error.toString());
                    return Mono.empty();
                });
    }
}
