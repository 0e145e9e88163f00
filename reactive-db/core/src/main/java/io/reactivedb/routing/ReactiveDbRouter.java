package io.reactivedb.routing;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.health.HealthView;
import io.reactivedb.internal.health.HealthMonitor;
import io.reactivedb.internal.resilience.EndpointBreakers;
import io.reactivedb.resilience.BreakerView;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.resilience.SlowQueryLog;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Runs units of work on a PostgreSQL primary and its streaming replicas, without blocking.
 *
 * <p>Every method returns a cold publisher: nothing happens until subscription, and each
 * subscription borrows one connection for the whole unit of work and gives it back exactly once,
 * on completion, error or cancellation (see {@link DbSession} for release hygiene).
 *
 * <ul>
 *   <li>{@link #read} goes where its {@link ReadConsistency} allows: a replica in rotation chosen by
 *       the configured {@link io.reactivedb.config.ReplicaSelection}, else the writable primary.</li>
 *   <li>{@link #write} goes to the writable primary, as observed by the health monitor: after a
 *       failover, to the promoted server; never to a server in recovery.</li>
 *   <li>{@link #inTransaction} runs the work in one transaction: on the primary, or where reads go
 *       when read-only; committed when the work completes, rolled back when it fails or is
 *       cancelled.</li>
 * </ul>
 *
 * <p>Failures arrive as {@link ReactiveDbException}s. Errors thrown by the caller's own code (a
 * mapper, an argument check) pass through unchanged.
 *
 * <p>The router owns its pools and its health monitor: {@link #shutdown()} stops taking work, waits
 * for in-flight work up to a deadline, stops probing and closes the pools.
 */
public final class ReactiveDbRouter {

    /** Default query timeout ({@code DB_QUERY_TIMEOUT}): 30 s. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(30);
    /** The fixed statement of {@link #probe(String)}. */
    public static final String PROBE_SQL = "SELECT 1 /* reactive-db probe */";

    private final RouterWiring wiring;
    private final Shutdown shutdown;
    private final UnitExecutor executor;
    private final Loans loans;
    private final EndpointAdmin admin;
    private final Optional<HealthView> health;
    private final Optional<BreakerView> breakers;
    private final NotificationHub notifications;

    ReactiveDbRouter(RouterBuilder builder) {
        Observation observation = new Observation(builder.listeners, builder.slowQueries, builder.scheduler);
        this.wiring = new RouterWiring(builder.settings, builder.scheduler, builder.healthSettings, builder.healthComponents,
                builder.breakerSettings, observation, builder.leakDetection, new StatementTracing(builder.tracer, builder.traceComments));
        this.notifications = new NotificationHub(wiring, builder.retry == null ? RetrySettings.defaults() : builder.retry,
                builder.notificationBuffer);
        wiring.topology.onNewWriter(notifications::writerChanged);
        this.shutdown = new Shutdown(wiring, notifications::close);
        this.executor = new UnitExecutor(wiring, shutdown, builder.queryTimeout, builder.retry);
        this.loans = new Loans(wiring, shutdown, executor.placement());
        this.admin = new EndpointAdmin(wiring, shutdown, builder.queryTimeout);
        this.health = Optional.ofNullable(wiring.health).map(HealthMonitor::view);
        this.breakers = Optional.ofNullable(wiring.breakers).map(EndpointBreakers::view);
    }

    /** A router with the default scheduler ({@link Schedulers#parallel()}) and health monitoring. */
    public static ReactiveDbRouter create(ReactiveDbSettings settings) {
        return builder(settings).build();
    }

    public static RouterBuilder builder(ReactiveDbSettings settings) {
        return new RouterBuilder(settings);
    }

    /** {@link #read(ReadConsistency, Function)} with {@link ReadConsistency#eventual()}. */
    public <T> Flux<T> read(Function<? super DbSession, ? extends Publisher<T>> work) {
        return read(ReadConsistency.eventual(), work);
    }

    /**
     * Runs read-only work where {@code consistency} allows (see {@link ReadConsistency}), else on
     * the writable primary. Reads are idempotent: a connection lost mid-read is reported as
     * retry-safe.
     */
    public <T> Flux<T> read(ReadConsistency consistency, Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(consistency, "consistency");
        return executor.run(Unit.read(consistency, Objects.requireNonNull(work, "work")));
    }

    /**
     * Runs work on the writable primary, outside an explicit transaction (each statement commits
     * on its own). A connection lost after a statement was sent is reported as
     * {@link io.reactivedb.error.DbOutcomeUnknownException}. With a {@link ConsistencyTracker} in
     * the context, the session's token moves to the write's WAL position.
     */
    public <T> Flux<T> write(Function<? super DbSession, ? extends Publisher<T>> work) {
        return executor.run(Unit.write(Objects.requireNonNull(work, "work")));
    }

    /** {@link #inTransaction(TransactionOptions, Function)} with {@link TransactionOptions#defaults()}. */
    public <T> Flux<T> inTransaction(Function<? super DbSession, ? extends Publisher<T>> work) {
        return inTransaction(TransactionOptions.defaults(), work);
    }

    /**
     * Runs work in one transaction (the options' isolation and access mode), committed when the
     * work completes, rolled back when it fails or is cancelled. Results are held until the commit
     * succeeds (they must fit in memory); a serialization failure or deadlock, also at COMMIT,
     * retries the whole transaction. Read-only transactions go where eventual reads go, others to
     * the writable primary. A connection lost before the commit was sent is retry-safe; one lost
     * during the commit is {@link io.reactivedb.error.DbOutcomeUnknownException}.
     */
    public <T> Flux<T> inTransaction(TransactionOptions options, Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        return executor.run(Unit.transaction(options, Objects.requireNonNull(work, "work"), null));
    }

    /**
     * Runs work in one transaction on the endpoint named {@code endpoint}, whatever its role,
     * rotation, lag or consistency: for work that describes that one server (diagnostics,
     * administration). No other endpoint is tried: a retry goes to the same server, and when its
     * breaker is open the unit fails with {@link DbUnavailableException}. Otherwise as
     * {@link #inTransaction(TransactionOptions, Function)}; a write on a replica fails with
     * {@code 25006}.
     *
     * @throws IllegalArgumentException when no endpoint has that name
     */
    public <T> Flux<T> inTransactionOn(String endpoint, TransactionOptions options, Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        Endpoint pinned = wiring.endpoints.require(Objects.requireNonNull(endpoint, "endpoint"));
        return executor.run(Unit.transaction(options, Objects.requireNonNull(work, "work"), pinned));
    }

    /**
     * Borrows a connection from where a read at {@code consistency} would run now, for an
     * integration that manages the unit of work itself: the endpoint choice, breaker, pool, acquire
     * deadline and error translation of {@link #read} (a {@link ConsistencyTracker} in the context
     * steers read-your-writes); no retry.
     *
     * @return emits the loan; the caller must release it exactly once (see {@link ConnectionLoan})
     */
    public Mono<ConnectionLoan> borrowForRead(ReadConsistency consistency) {
        Objects.requireNonNull(consistency, "consistency");
        return loans.borrow(consistency);
    }

    /** {@link #borrowForRead} for writes: a connection of the writable primary, as {@link #write} uses. */
    public Mono<ConnectionLoan> borrowForWrite() {
        return loans.borrow(null);
    }

    /**
     * {@code LISTEN}/{@code NOTIFY} on the writer as a hot stream: first
     * {@link NotificationEvent.Listening} once the channels are listened to, then each
     * {@link NotificationEvent.Notification} of these channels in the server's order, and a
     * {@link NotificationEvent.Gap} wherever some may have been missed (see {@link NotificationEvent}).
     * Every subscriber shares one connection of the router's own (not from the pools): {@code LISTEN}
     * when a channel's first subscriber arrives, {@code UNLISTEN} when its last leaves. A lost
     * connection is opened again at once, then with the retry settings' backoff; after a promotion the
     * listener moves to the new writer. Each subscriber has its own buffer
     * ({@link RouterBuilder#notificationBuffer(int)}): one that requests too slowly loses the newest
     * notifications, and gets a {@code Gap} of reason {@code OVERFLOW}, never holding up the others.
     * Signals arrive on the driver's I/O thread: do not block in them ({@code publishOn} for slow work).
     * The flux completes when the router shuts down.
     *
     * @param channels channel names, taken as written (quoted: case-sensitive), at most 63 bytes each
     * @throws IllegalArgumentException when no channel is named, or a name is empty, too long or holds NUL
     */
    public Flux<NotificationEvent> notifications(String... channels) {
        Objects.requireNonNull(channels, "channels");
        return notifications.subscribe(channels);
    }

    /** Opens each pool's minimum of connections: completes with the primary's; an unreachable replica connects lazily. */
    public Mono<Void> warmUp() {
        return admin.warmUp();
    }

    /**
     * Runs {@value #PROBE_SQL} on the named endpoint over a pooled connection, whatever its role,
     * health or breaker (no routing, no retry), bounded by the query timeout; emits the round trip.
     * Fails with {@link IllegalArgumentException} for an unknown name, else a {@link ReactiveDbException}.
     */
    public Mono<Duration> probe(String endpointName) {
        Objects.requireNonNull(endpointName, "endpointName");
        return admin.probe(endpointName, PROBE_SQL);
    }

    /**
     * Drains and rebuilds the named endpoint's pool: new work uses a fresh pool at once; the old one
     * serves the work holding or waiting for its connections and closes once they are back (at
     * most {@link ReactiveDbSettings#shutdownTimeout()}). Completes when the old pool is closed and
     * the new one has opened its minimum (else fails with that warm-up's error; it then connects on
     * demand). Statistics start from zero. Fails with {@link IllegalArgumentException} for an
     * unknown name, {@link DbUnavailableException} after {@link #shutdown}.
     */
    public Mono<Void> reconnect(String endpointName) {
        Objects.requireNonNull(endpointName, "endpointName");
        return admin.reconnect(endpointName);
    }

    /** {@link #reconnect(String)} of every endpoint, all at once. */
    public Mono<Void> reconnectAll() {
        return admin.reconnectAll();
    }

    /** {@link #shutdown(Duration)} with {@link ReactiveDbSettings#shutdownTimeout()}. */
    public Mono<Void> shutdown() {
        return shutdown(wiring.settings.shutdownTimeout());
    }

    /**
     * Stops taking work (new units fail at once with {@link DbUnavailableException}), waits up to
     * {@code deadline} for the work in flight to finish and its connections to come back, stops
     * the health monitor, then closes every pool. Calling it again returns the same shutdown.
     */
    public Mono<Void> shutdown(Duration deadline) {
        return shutdown.shutdown(deadline);
    }

    /** The health monitor's read-only view (events, latest state); empty without {@link RouterFeature#HEALTH_MONITORING}. */
    public Optional<HealthView> health() {
        return health;
    }

    /** The circuit breakers' read-only view, one breaker per endpoint; empty when breaking is off. */
    public Optional<BreakerView> breakers() {
        return breakers;
    }

    /** The most recent slow units of work; empty when the slow-query log is off. */
    public Optional<SlowQueryLog> slowQueries() {
        return wiring.observation.slowQueries();
    }

    /** Whether this router runs a health monitor (not switched off with {@link RouterFeature#HEALTH_MONITORING}). */
    public boolean isHealthMonitored() {
        return health.isPresent();
    }

    /** Whether {@link #shutdown} has been called. */
    public boolean isShutdown() {
        return !shutdown.isAccepting();
    }

    /** The endpoint configured as primary. Writes go to {@link #writer()}, which differs after a failover. */
    public Endpoint primary() {
        return wiring.endpoints.primary();
    }

    /** Where writes go now: the configured primary until the health monitor observes otherwise. */
    public Optional<Endpoint> writer() {
        return Optional.ofNullable(wiring.topology.writer());
    }

    public List<Endpoint> replicas() {
        return wiring.endpoints.replicas();
    }

    /** The primary first, then the replicas in configured order. */
    public List<Endpoint> endpoints() {
        return wiring.endpoints.all();
    }

    public Optional<Endpoint> endpoint(String name) {
        return wiring.endpoints.named(name);
    }

    public ReactiveDbSettings settings() {
        return wiring.settings;
    }

    /** Builds a {@link ReactiveDbRouter}. */
}
