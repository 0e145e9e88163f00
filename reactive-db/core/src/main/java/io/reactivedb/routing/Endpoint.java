package io.reactivedb.routing;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.pool.AcquireWaits;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.health.EndpointHealth;
import java.util.Optional;
import io.reactivedb.health.Lsn;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * One server the router talks to, with its pool. The public methods are a read-only view; routing
 * state is changed only by the router.
 */
public final class Endpoint {

    private final EndpointSettings settings;
    private volatile EndpointPool pool;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Units that got their answer from the server here (completed, or failed with a server's error): its sign of life. */
    private final AtomicLong answered = new AtomicLong();
    /** Since when (scheduler milliseconds) it counts as stalled, or {@link #NOT_STALLED}. */
    private volatile long stalledSince = NOT_STALLED;
    static final long NOT_STALLED = Long.MIN_VALUE;
    private volatile boolean inRotation;
    private volatile @Nullable EndpointHealth health;
    /** The newest replay position read on this server outside the health rounds (read-your-writes checks). */
    private final AtomicReference<@Nullable Lsn> replayed = new AtomicReference<>();

    Endpoint(EndpointSettings settings, EndpointPool pool) {
        this.settings = settings;
        this.pool = pool;
        // Until the health monitor has probed, trust the configuration: replicas take reads.
        this.inRotation = settings.role() == EndpointRole.REPLICA;
    }

    /** Log-safe name, unique within the router: {@code primary}, {@code replica-1}, … */
    public String name() {
        return settings.name();
    }

    /** The role this endpoint was configured with. */
    public EndpointRole role() {
        return settings.role();
    }

    public EndpointSettings settings() {
        return settings;
    }

    public PoolStatistics poolStatistics() {
        return pool.statistics();
    }

    /** How long acquisitions from this endpoint's pool waited for a connection, since it started. */
    public AcquireWaits acquireWaits() {
        return pool.acquireWaits();
    }

    /** Units of work on this endpoint from subscription to termination, waiting for a connection included. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * Whether it holds work without finishing any: units in flight, acquisitions queued on its pool
     * and none answered for the stall timeout. A stalled endpoint takes no new reads until a unit
     * finishes there or a probe round started after the stall answers.
     */
    public boolean isStalled() {
        return stalledSince != NOT_STALLED;
    }

    long stalledSince() {
        return stalledSince;
    }

    void stalledSince(long since) {
        this.stalledSince = since;
    }

    /** Units answered by the server here so far. */
    long answered() {
        return answered.get();
    }

    AtomicLong answeredCounter() {
        return answered;
    }

    /** Whether reads may be routed here. */
    public boolean isInRotation() {
        return inRotation;
    }

    void inRotation(boolean inRotation) {
        this.inRotation = inRotation;
    }

    /** What the health monitor saw at its last round; empty before the first round or without monitoring. */
    public Optional<EndpointHealth> health() {
        return Optional.ofNullable(health);
    }

    void health(EndpointHealth health) {
        this.health = health;
        this.inRotation = health.inRotation();
        // A probe round is the fresher truth: a position read before it adds nothing, and one that is
        // higher than the probe's (a server rebuilt or rewound since) must not be trusted any more.
        this.replayed.set(null);
    }

    /**
     * Whether this server is known to have replayed WAL up to {@code needed}: by the health
     * monitor's last round or by a replay position read since ({@link #replayedUpTo(Lsn)}).
     */
    boolean hasReplayed(Lsn needed) {
        Lsn seen = replayed.get();
        if (seen != null && seen.isAtLeast(needed)) {
            return true;
        }
        EndpointHealth last = health;
        return last != null && last.walPosition().map(position -> position.isAtLeast(needed)).orElse(false);
    }

    /** The replay position read on this server since its last probe round, if any. */
    Optional<Lsn> replayedSince() {
        return Optional.ofNullable(replayed.get());
    }

    /** Records a replay position read on this server (positions only move forward). */
    void replayedUpTo(Lsn position) {
        replayed.accumulateAndGet(position, (seen, next) -> seen == null || next.isAtLeast(seen) ? next : seen);
    }

    EndpointPool pool() {
        return pool;
    }

    /** Puts {@code next} in place for new work and returns the pool it replaces. */
    EndpointPool replacePool(EndpointPool next) {
        EndpointPool previous = pool;
        pool = next;
        return previous;
    }

    AtomicInteger inFlightCounter() {
        return inFlight;
    }

    @Override
    public String toString() {
        return "Endpoint[" + settings.describe() + ", role=" + role() + ", inRotation=" + inRotation + ", inFlight=" + inFlight()
                + (isStalled() ? ", stalled" : "") + "]";
    }
}
