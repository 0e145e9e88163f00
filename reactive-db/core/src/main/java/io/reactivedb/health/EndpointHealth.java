package io.reactivedb.health;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One endpoint as the monitor last saw it.
 *
 * @param lagBytes   for a replica: WAL bytes between the writable primary's insert position and its
 *                   replay position at the same probe round
 * @param lagTime    for a replica: how far replay is behind in time; zero when it has replayed
 *                   everything the primary had written (an idle primary writes no new
 *                   transactions, so {@code now() - pg_last_xact_replay_timestamp()} alone would grow)
 * @param lagging    lag over the configured limit: out of read rotation
 * @param inRotation whether reads may go here now
 * @param writable   whether writes go here now
 */
public record EndpointHealth(String endpoint, EndpointRole configuredRole, ObservedRole observedRole, boolean reachable,
                             Duration latency, Optional<String> serverVersion, Optional<Instant> serverTime,
                             Optional<Lsn> walPosition, OptionalLong lagBytes, Optional<Duration> lagTime, boolean lagging,
                             boolean inRotation, boolean writable, PoolStatistics pool, Instant checkedAt, Optional<String> error) {
}
