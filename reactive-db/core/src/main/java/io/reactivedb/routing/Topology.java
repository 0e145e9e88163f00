package io.reactivedb.routing;

import io.reactivedb.error.DbConnectionException;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthSnapshot;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Scheduler;

/**
 * Where writes go and what the health rounds say of each endpoint: applies each
 * {@link HealthSnapshot} (rotation, last observation, the writer), keeps the first sign that the
 * writer is failing and reports the failover time when another writer takes over.
 */
final class Topology {

    private static final Logger log = LoggerFactory.getLogger(Topology.class);
    private static final long NO_TROUBLE = Long.MIN_VALUE;

    private final Endpoints endpoints;
    private final Scheduler scheduler;
    private final Observation observation;
    private final Runnable probeSoon;
    private volatile @Nullable Endpoint writer;
    /** Scheduler milliseconds of the first sign the current writer is failing, or {@link #NO_TROUBLE}. */
    private final AtomicLong writerTroubleSince = new AtomicLong(NO_TROUBLE);
    /** Scheduler milliseconds of the last round that found the writer answering, or {@link #NO_TROUBLE}. */
    private volatile long writerLastGood = NO_TROUBLE;
    private volatile Consumer<Endpoint> onNewWriter = endpoint -> { };

    /** @param probeSoon asks the health monitor for a round soon (nothing without monitoring) */
    Topology(Endpoints endpoints, Scheduler scheduler, Observation observation, Runnable probeSoon) {
        this.endpoints = endpoints;
        this.scheduler = scheduler;
        this.observation = observation;
        this.probeSoon = probeSoon;
        this.writer = endpoints.primary();
    }

    /** Where writes go now: the configured primary until a health round says otherwise; null while none is writable. */
    @Nullable Endpoint writer() {
        return writer;
    }

    /** Told each endpoint that a health round finds writable after another (or none) was: the notification listener follows it. */
    void onNewWriter(Consumer<Endpoint> listener) {
        this.onNewWriter = listener;
    }

    /** A sign that {@code endpoint} is failing: a round soon, and, for the writer, the start of a possible failover. */
    void troubleOn(Endpoint endpoint) {
        if (endpoint == writer) {
            writerTroubleSince.compareAndSet(NO_TROUBLE, scheduler.now(TimeUnit.MILLISECONDS));
        }
        probeSoon.run();
    }

    /**
     * Applies a health round: rotation and last observation per endpoint, and where writes go. Work
     * still waiting for a connection of an endpoint the probe could not reach fails over now
     * (retry-safe, nothing was sent) rather than waiting out the acquire timeout for a server that
     * is gone.
     */
    void apply(HealthSnapshot snapshot) {
        long roundStarted = snapshot.at().toEpochMilli();
        for (EndpointHealth endpointHealth : snapshot.endpoints()) {
            endpoints.named(endpointHealth.endpoint()).ifPresent(endpoint -> observe(endpoint, endpointHealth, roundStarted));
        }
        Endpoint before = writer;
        Endpoint after = snapshot.writer().flatMap(endpoints::named).orElse(null);
        writer = after;
        if (after != null && after != before) {
            failedOver(before, after, roundStarted);
            onNewWriter.accept(after);
        } else if (after != null && after.health().map(Topology::answered).orElse(false)) {
            writerAnswered(roundStarted);
        }
    }

    private void observe(Endpoint endpoint, EndpointHealth health, long roundStarted) {
        endpoint.health(health);
        boolean answered = answered(health);
        if (endpoint.isStalled() && answered && roundStarted >= endpoint.stalledSince()) {
            endpoint.stalledSince(Endpoint.NOT_STALLED);
            log.info("[{}] answered a probe after it stalled: back in rotation", endpoint.name());
        }
        if (endpoint == writer && !answered) {
            troubleOn(endpoint);
        }
        if (!health.reachable()) {
            int failed = endpoint.pool().failPending(() -> new DbConnectionException("[" + endpoint.name()
                    + "] the health monitor cannot reach this server; the unit was still waiting for a connection and was not sent",
                    null, "08001", endpoint.name(), true));
            if (failed > 0) {
                log.info("[{}] unreachable: {} unit(s) waiting for its connections fail over", endpoint.name(), failed);
            }
        }
    }

    private static boolean answered(EndpointHealth health) {
        return health.reachable() && health.error().isEmpty();
    }

    private void writerAnswered(long roundStarted) {
        writerLastGood = roundStarted;
        // A sign older than this good round was a false alarm (a write that failed on its own).
        long since = writerTroubleSince.get();
        if (since != NO_TROUBLE && roundStarted > since) {
            writerTroubleSince.compareAndSet(since, NO_TROUBLE);
        }
    }

    /** Writes go to {@code to} now: the listeners get the time writes could not be served. */
    private void failedOver(@Nullable Endpoint from, Endpoint to, long roundStarted) {
        long since = writerTroubleSince.getAndSet(NO_TROUBLE);
        if (since == NO_TROUBLE) {
            since = writerLastGood;
        }
        writerLastGood = roundStarted;
        if (since == NO_TROUBLE) {
            return; // the first round found another writer than configured: no failover seen
        }
        long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, scheduler.now(TimeUnit.MILLISECONDS) - since));
        log.warn("Writes fail over from {} to [{}] after {} ms", from == null ? "no writer" : "[" + from.name() + "]", to.name(),
                TimeUnit.NANOSECONDS.toMillis(nanos));
        observation.onFailover(Optional.ofNullable(from).map(Endpoint::name), to.name(), nanos);
    }
}
