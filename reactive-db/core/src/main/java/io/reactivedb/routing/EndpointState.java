package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.util.Optional;

/**
 * What the selection knows of one endpoint at one moment: a value, so that choosing an endpoint is
 * a function of these and nothing else.
 *
 * @param name          the endpoint's name
 * @param writer        whether writes go here now
 * @param inRotation    whether its last health round put it in read rotation
 * @param stalled       whether it holds work without answering any (see {@link StallWatch})
 * @param breakerAllows whether its circuit breaker lets calls through
 * @param lag           its replication lag in time, when known
 * @param replayed      how far it is known to have replayed WAL (probe round or replay check)
 * @param weight        its configured share of reads
 * @param inFlight      units of work on it now
 * @param saturated     its pool has every connection lent out and callers queued
 *                      ({@link io.reactivedb.pool.PoolStatistics#saturated()}): a read sent there waits
 */
record EndpointState(String name, boolean writer, boolean inRotation, boolean stalled, boolean breakerAllows,
                     Optional<Duration> lag, Optional<Lsn> replayed, int weight, int inFlight, boolean saturated) {

    /** In rotation by health, not stalled, and its breaker lets calls through. */
    boolean readable() {
        return inRotation && !stalled && breakerAllows;
    }

    boolean lagWithin(Duration maxLag) {
        return lag.map(known -> known.compareTo(maxLag) <= 0).orElse(false);
    }

    boolean hasReplayed(Lsn needed) {
        return replayed.map(position -> position.isAtLeast(needed)).orElse(false);
    }
}
