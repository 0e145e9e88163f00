package io.reactivedb.routing;

import io.r2dbc.spi.R2dbcException;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.Durations;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.resilience.Classification;
import io.reactivedb.resilience.EndpointBreakers;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetryListener;
import io.reactivedb.resilience.RetryOperator;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.resilience.SlowQueryLog;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthMonitor;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.Lsn;
import io.reactivedb.health.PostgresProbe;
import io.reactivedb.pool.Deadlines;
import io.reactivedb.pool.EndpointPool;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;

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

    private static final Logger log = LoggerFactory.getLogger(ReactiveDbRouter.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(10);
    /** Bound of asking a replica for its replay position before a read-your-writes read. */
    static final Duration REPLAY_CHECK_TIMEOUT = Duration.ofSeconds(1);
    private static final String READ_ONLY_TRANSACTION = "25006";
    private static final RetryListener RETRY_LOG = RetryListener.logging();
    private static final long DEFAULT_QUERY_TIMEOUT_SECONDS = 30;
    /** Default query timeout ({@code DB_QUERY_TIMEOUT}): 30 s. */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(DEFAULT_QUERY_TIMEOUT_SECONDS);

    private final ReactiveDbSettings settings;
    private final Scheduler scheduler;
    private final Duration cleanupTimeout;
    private final Endpoint primary;
    private final List<Endpoint> replicas;
    private final List<Endpoint> endpoints;
    private final ReplicaSelector selector;
    private final @Nullable HealthMonitor health;
    private final List<HealthComponent> healthComponents;
    private final List<QueryListener> listeners;
    /** The retry operator, made once: it defers per subscription itself, so each unit gets its own attempts and budget. */
    private final @Nullable Function<Flux<Object>, Flux<Object>> retryOperator;
    private final @Nullable EndpointBreakers breakers;
    private final Duration queryTimeout;
    private final @Nullable SlowQueryLog slowQueries;
    private final @Nullable Disposable breakerEvents;
    private final Deadlines deadlines;
    private final AtomicReference<@Nullable Mono<Void>> shutdown = new AtomicReference<>();
    private volatile boolean accepting = true;
    private volatile @Nullable Endpoint writer;
    private final @Nullable StallWatch stallWatch;
    /** Scheduler milliseconds of the first sign the current writer is failing, or {@link #NO_TROUBLE}. */
    private final java.util.concurrent.atomic.AtomicLong writerTroubleSince = new java.util.concurrent.atomic.AtomicLong(NO_TROUBLE);
    /** Scheduler milliseconds of the last round that found the writer answering, or {@link #NO_TROUBLE}. */
    private volatile long writerLastGood = NO_TROUBLE;
    private static final long NO_TROUBLE = Long.MIN_VALUE;

    private ReactiveDbRouter(Builder builder) {
        this.settings = builder.settings;
        this.scheduler = builder.scheduler;
        this.deadlines = new Deadlines(scheduler);
        this.cleanupTimeout = settings.pool().validationTimeout();
        this.primary = endpoint(settings.primary());
        List<Endpoint> replicaList = new ArrayList<>();
        for (EndpointSettings replica : settings.replicas()) {
            replicaList.add(endpoint(replica));
        }
        this.replicas = List.copyOf(replicaList);
        List<Endpoint> all = new ArrayList<>();
        all.add(primary);
        all.addAll(replicas);
        this.endpoints = List.copyOf(all);
        this.selector = ReplicaSelector.of(settings.replicaSelection(), endpoints);
        this.writer = primary;
        this.listeners = List.copyOf(builder.listeners);
        this.retryOperator = builder.retry == null ? null
                : RetryOperator.retry(builder.retry, scheduler, FailureClassifier::isRetryable, this::onRetry);
        this.breakers = builder.breakerSettings == null ? null : EndpointBreakers.create(builder.breakerSettings, scheduler);
        this.queryTimeout = builder.queryTimeout;
        this.slowQueries = builder.slowQueries;
        this.healthComponents = List.copyOf(builder.healthComponents);
        this.health = builder.healthSettings == null ? null : monitor(builder.healthSettings);
        if (breakers != null) {
            endpoints.forEach(endpoint -> breakers.breaker(endpoint.name()));
        }
        this.breakerEvents = breakers == null || health == null ? null : breakers.transitions()
                .subscribe(transition -> health.breakerChanged(transition.endpoint(), transition.from().name(), transition.to().name()));
        this.stallWatch = builder.healthSettings == null ? null
                : new StallWatch(endpoints, builder.healthSettings.stallTimeout(), scheduler, new StallHandler());
        if (health != null) {
            health.start();
        }
    }

    /** What the router does about endpoints that hold work without finishing any (see {@link StallWatch}). */
    private final class StallHandler implements StallWatch.Handler {
        @Override
        public void suspect(Endpoint endpoint) {
            log.debug("[{}] {} unit(s) in flight and none answered lately; probing", endpoint.name(), endpoint.inFlight());
            troubleOn(endpoint);
        }

        @Override
        public void stalled(Endpoint endpoint, long inFlight, io.reactivedb.pool.PoolStatistics pool, long silentMillis) {
            log.warn("[{}] stalled: {} unit(s) in flight, {} waiting for a connection, none answered for {} ms; it takes no new"
                    + " reads until one is or a probe answers", endpoint.name(), inFlight, pool.pending(), silentMillis);
            troubleOn(endpoint);
            failOverQueued(endpoint, silentMillis);
        }

        @Override
        public void stillStalled(Endpoint endpoint, io.reactivedb.pool.PoolStatistics pool) {
            failOverQueued(endpoint, -1);
        }

        @Override
        public void answering(Endpoint endpoint) {
            log.info("[{}] answers again: back in rotation", endpoint.name());
        }

        /** Work queued on a stalled endpoint moves on (retry-safe: nothing was sent), unless it is the writer: writes have nowhere else to go. */
        private void failOverQueued(Endpoint endpoint, long silentMillis) {
            if (endpoint == writer) {
                return;
            }
            int failed = endpoint.pool().failPending(() -> new DbConnectionException("[" + endpoint.name() + "] stalled: units in flight there"
                    + " and none answered" + (silentMillis >= 0 ? " for " + silentMillis + " ms" : "") + "; the unit was still waiting"
                    + " for a connection and was not sent", null, "08001", endpoint.name(), true));
            if (failed > 0) {
                log.info("[{}] stalled: {} unit(s) waiting for its connections fail over", endpoint.name(), failed);
            }
        }
    }

    /** A sign that {@code endpoint} is failing: a round soon, and, for the writer, the start of a possible failover. */
    private void troubleOn(Endpoint endpoint) {
        if (endpoint == writer) {
            writerTroubleSince.compareAndSet(NO_TROUBLE, scheduler.now(TimeUnit.MILLISECONDS));
        }
        if (health != null) {
            health.probeSoon();
        }
    }

    private Endpoint endpoint(EndpointSettings endpoint) {
        return new Endpoint(endpoint, EndpointPool.create(endpoint, settings.pool(), settings.session(), deadlines));
    }

    private HealthMonitor monitor(HealthSettings healthSettings) {
        SessionSettings probeSession = settings.session().toBuilder()
                .applicationName(probeApplicationName(settings.session().applicationName()))
                .connectTimeout(healthSettings.probeTimeout())
                .build();
        List<HealthMonitor.Target> targets = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            targets.add(new HealthMonitor.Target(endpoint.name(), endpoint.role(),
                    new PostgresProbe(endpoint.name(), EndpointPool.connectionConfiguration(probeLogin(endpoint.settings()), probeSession)),
                    endpoint::poolStatistics));
        }
        return new HealthMonitor(targets, healthComponents, Optional.of(primary.name()), healthSettings, scheduler, this::apply,
                name -> breakers != null && !breakers.allowsCalls(name));
    }

    /** The endpoint as the probes reach it: its own login unless the settings give probe credentials. */
    private EndpointSettings probeLogin(EndpointSettings endpoint) {
        return settings.probeCredentials()
                .map(login -> endpoint.toBuilder().username(login.username()).password(login.password()).build())
                .orElse(endpoint);
    }

    /** Probes show up in {@code pg_stat_activity} as the application name plus {@code " health"}. */
    private static String probeApplicationName(String applicationName) {
        String suffix = " health";
        int room = 63 - suffix.length();
        return (applicationName.length() > room ? applicationName.substring(0, room) : applicationName) + suffix;
    }

    /**
     * Applies a health round: rotation and last observation per endpoint, and where writes go. Work
     * still waiting for a connection of an endpoint the probe could not reach fails over now
     * (retry-safe, nothing was sent) rather than waiting out the acquire timeout for a server that
     * is gone.
     */
    private void apply(HealthSnapshot snapshot) {
        long roundStarted = snapshot.at().toEpochMilli();
        for (EndpointHealth endpointHealth : snapshot.endpoints()) {
            endpoint(endpointHealth.endpoint()).ifPresent(endpoint -> {
                endpoint.health(endpointHealth);
                boolean answered = endpointHealth.reachable() && endpointHealth.error().isEmpty();
                if (endpoint.isStalled() && answered && roundStarted >= endpoint.stalledSince()) {
                    endpoint.stalledSince(Endpoint.NOT_STALLED);
                    log.info("[{}] answered a probe after it stalled: back in rotation", endpoint.name());
                }
                if (endpoint == writer && !answered) {
                    troubleOn(endpoint);
                }
                if (!endpointHealth.reachable()) {
                    int failed = endpoint.pool().failPending(() -> new DbConnectionException("[" + endpoint.name()
                            + "] the health monitor cannot reach this server; the unit was still waiting for a connection and was not sent",
                            null, "08001", endpoint.name(), true));
                    if (failed > 0) {
                        log.info("[{}] unreachable: {} unit(s) waiting for its connections fail over", endpoint.name(), failed);
                    }
                }
            });
        }
        Endpoint before = writer;
        Endpoint after = snapshot.writer().flatMap(this::endpoint).orElse(null);
        writer = after;
        if (after != null && after != before) {
            failedOver(before, after, roundStarted);
        } else if (after != null && after.health().map(h -> h.reachable() && h.error().isEmpty()).orElse(false)) {
            writerLastGood = roundStarted;
            // A sign older than this good round was a false alarm (a write that failed on its own).
            long since = writerTroubleSince.get();
            if (since != NO_TROUBLE && roundStarted > since) {
                writerTroubleSince.compareAndSet(since, NO_TROUBLE);
            }
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
        Optional<String> fromName = Optional.ofNullable(from).map(Endpoint::name);
        for (QueryListener listener : listeners) {
            try {
                listener.onFailover(fromName, to.name(), nanos);
            } catch (RuntimeException e) {
                log.warn("A query listener failed", e);
            }
        }
    }

    /** A router with the default scheduler ({@link Schedulers#parallel()}) and health monitoring. */
    public static ReactiveDbRouter create(ReactiveDbSettings settings) {
        return builder(settings).build();
    }

    public static Builder builder(ReactiveDbSettings settings) {
        return new Builder(settings);
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
        return run(consistency, false, null, work);
    }

    /**
     * Runs work on the writable primary, outside an explicit transaction (each statement commits
     * on its own). A connection lost after a statement was sent is reported as
     * {@link io.reactivedb.error.DbOutcomeUnknownException}. With a {@link ConsistencySession} in
     * the context, the session's token moves to the write's WAL position.
     */
    public <T> Flux<T> write(Function<? super DbSession, ? extends Publisher<T>> work) {
        return run(null, true, null, work);
    }

    /** {@link #inTransaction(TransactionOptions, Function)} with {@link TransactionOptions#defaults()}. */
    public <T> Flux<T> inTransaction(Function<? super DbSession, ? extends Publisher<T>> work) {
        return inTransaction(TransactionOptions.defaults(), work);
    }

    /**
     * Runs work in one transaction: begun with the options' isolation and access mode, committed
     * when the work completes, rolled back when it fails or the subscriber cancels. Its results
     * are held until the commit succeeds and then emitted (so they must fit in memory); a
     * serialization failure or deadlock, also one raised by the COMMIT, retries the whole
     * transaction. Read-only
     * transactions go where {@link ReadConsistency#eventual()} reads go; others to the writable
     * primary. A connection lost before the commit was sent leaves nothing behind (the server rolls
     * back) and is retry-safe; one lost during the commit is reported as
     * {@link io.reactivedb.error.DbOutcomeUnknownException}.
     */
    public <T> Flux<T> inTransaction(TransactionOptions options, Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        return run(options.readOnly() ? ReadConsistency.eventual() : null, false, options, work);
    }

    // --- Borrowing, for integrations that run the unit of work themselves (io.reactivedb.r2dbc) ---

    /**
     * Borrows a connection from where a read at {@code consistency} would run now (a replica chosen
     * by the configured selection, else the writable primary), for an integration that manages the
     * unit of work itself. The same endpoint choice, breaker, pool, acquire deadline and error
     * translation as {@link #read}; a {@link ConsistencySession} in the subscriber's context steers
     * {@link ReadConsistency#readYourWrites()}. No retry: a failed borrow reaches the caller.
     *
     * @return emits the loan; the caller must release it exactly once (see {@link BorrowedConnection})
     */
    public Mono<BorrowedConnection> borrowForRead(ReadConsistency consistency) {
        Objects.requireNonNull(consistency, "consistency");
        return borrow(consistency);
    }

    /** {@link #borrowForRead} for writes: a connection of the writable primary, as {@link #write} uses. */
    public Mono<BorrowedConnection> borrowForWrite() {
        return borrow(null);
    }

    private Mono<BorrowedConnection> borrow(@Nullable ReadConsistency consistency) {
        return Mono.deferContextual(context -> {
            if (!accepting) {
                return Mono.error(new DbUnavailableException("the router is shut down and takes no new work", null));
            }
            boolean writes = consistency == null;
            Endpoint endpoint = writes ? writer : readEndpoint(consistency, ConsistencySession.from(context), null);
            if (endpoint == null) {
                return Mono.error(new DbUnavailableException(writes || consistency.level() == ReadConsistency.Level.STRONG
                        ? "no writable primary: every server is down or in recovery"
                        : "no endpoint can serve a " + consistency + " read", null));
            }
            Mono<io.r2dbc.spi.Connection> acquire = endpoint.pool().acquire();
            if (breakers != null) {
                // The breaker sees the acquire: refuses it while open, counts a refused connection.
                // A wait for a connection is never a slow call (the borrower's own work is not seen).
                acquire = Mono.fromDirect(acquire.flux().transformDeferred(breakers.operator(endpoint.name(), () -> EndpointBreakers.NOT_STARTED)));
            }
            AtomicInteger inFlight = endpoint.inFlightCounter();
            inFlight.incrementAndGet();
            boolean[] lent = new boolean[1];
            return acquire
                    .map(connection -> {
                        lent[0] = true;
                        return new BorrowedConnection(new Lease(endpoint, connection, scheduler, cleanupTimeout), writes, inFlight,
                                endpoint.answeredCounter(),
                                this::onWriteToReadOnlyServer);
                    })
                    .doFinally(signal -> {
                        if (!lent[0]) {
                            inFlight.decrementAndGet();
                        }
                    });
        });
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
        Endpoint pinned = endpoint(Objects.requireNonNull(endpoint, "endpoint"))
                .orElseThrow(() -> new IllegalArgumentException("no endpoint named '" + endpoint + "'; known: "
                        + endpoints.stream().map(Endpoint::name).toList()));
        return run(options.readOnly() ? ReadConsistency.eventual() : null, false, options, work, pinned);
    }

    private <T> Flux<T> run(@Nullable ReadConsistency consistency, boolean write, @Nullable TransactionOptions tx,
                            Function<? super DbSession, ? extends Publisher<T>> work) {
        return run(consistency, write, tx, work, null);
    }

    /**
     * One unit of work with the operator stack, innermost first: timeout (cancelling on the server)
     * → timing, slow-query log and listeners → the endpoint's circuit breaker; around it all, retry
     * with backoff, which resubscribes and so picks an endpoint afresh (a read moves on to another
     * eligible server).
     *
     * @param consistency null for work that may write (it goes to the writer), else the read's level
     * @param pinned      the endpoint the work must run on, or null to route it
     */
    private <T> Flux<T> run(@Nullable ReadConsistency consistency, boolean write, @Nullable TransactionOptions tx,
                            Function<? super DbSession, ? extends Publisher<T>> work, @Nullable Endpoint pinned) {
        Objects.requireNonNull(work, "work");
        Flux<T> attempt = Flux.deferContextual(context -> attempt(context, consistency, write, tx, work, null, pinned));
        if (retryOperator == null) {
            return attempt;
        }
        // transform, not transformDeferred: the operator defers per subscription already. The
        // attempts share one wait for a connection, bounded by the acquire timeout in all.
        return attempt.transform(retryOperator())
                .contextWrite(context -> ConnectionWait.put(context, settings.pool().acquireTimeout(), scheduler));
    }

    @SuppressWarnings("unchecked")
    private <T> Function<Flux<T>, Flux<T>> retryOperator() {
        return (Function<Flux<T>, Flux<T>>) (Function<?, ?>) retryOperator;
    }

    /**
     * @param refused an endpoint whose breaker just refused this read; the read falls back to
     *                another eligible endpoint at once (nothing was sent)
     */
    private <T> Flux<T> attempt(ContextView context, @Nullable ReadConsistency consistency, boolean write, @Nullable TransactionOptions tx,
                                Function<? super DbSession, ? extends Publisher<T>> work, @Nullable Endpoint refused,
                                @Nullable Endpoint pinned) {
        if (!accepting) {
            return Flux.error(new DbUnavailableException("the router is shut down and takes no new work", null));
        }
        boolean writes = consistency == null;
        Optional<ConsistencySession> session = ConsistencySession.from(context);
        Endpoint endpoint = pinned != null ? pinned : writes ? writer : readEndpoint(consistency, session, refused);
        if (endpoint == null) {
            return Flux.error(new DbUnavailableException(writes || consistency.level() == ReadConsistency.Level.STRONG
                    ? "no writable primary: every server is down or in recovery"
                    : "no endpoint can serve a " + consistency + " read", null));
        }
        if (pinned == null && !writes && endpoint == writer && consistency.level() == ReadConsistency.Level.READ_YOUR_WRITES) {
            Optional<Flux<T>> checked = checkedReadYourWrites(context, consistency, tx, work, refused, session);
            if (checked.isPresent()) {
                return checked.get();
            }
        }
        boolean mayHaveWritten = write && !DbOperation.isIdempotent(context);
        ConsistencySession tracked = writes ? session.orElse(null) : null;
        Duration timeout = DbOperation.timeoutOf(context, queryTimeout);
        AtomicInteger inFlight = endpoint.inFlightCounter();
        Lease[] lease = new Lease[1];
        // When the connection was handed over: the breaker times the call from there, not from the
        // subscription, so a wait in the pool's queue (the client's congestion) is not a slow call.
        long[] handedOver = {EndpointBreakers.NOT_STARTED};
        ConnectionWait wait = ConnectionWait.of(context, settings.pool().acquireTimeout(), scheduler);
        EndpointPool pool = endpoint.pool();
        ConnectionWait.Holding[] holding = new ConnectionWait.Holding[1];
        // Work with nowhere else to go may wait for a half-open breaker's trial slot (within the
        // unit's acquire deadline); a read refused there goes to another endpoint instead.
        boolean waitsForTrial = breakers != null && (writes || refused != null || pinned != null);
        Flux<T> unit = Flux.usingWhen(
                        acquire(pool, wait, wait.begin(), waitsForTrial)
                                .map(connection -> {
                                    if (breakers != null) {
                                        handedOver[0] = breakers.now();
                                    }
                                    holding[0] = wait.handedOver(pool);
                                    return lease[0] = new Lease(endpoint, connection, scheduler, cleanupTimeout);
                                }),
                        // The work sees what this unit holds: a unit it runs waits only what is left
                        // of the acquire timeout, and one on the same pool is counted as nested.
                        held -> body(held, writes, tx, mayHaveWritten, work)
                                .contextWrite(workContext -> ConnectionWait.holding(workContext, holding[0])),
                        held -> complete(held, tx != null, tracked),
                        Lease::releaseAfterError,
                        Lease::releaseAfterCancel);
        if (tx != null) {
            // A transaction's results reach the caller only once it has committed: usingWhen
            // passes elements on before the commit, and a result of a transaction that then fails
            // to commit (a serialization failure at COMMIT) was never true, and would also stop
            // the retry, which never restarts a stream that has emitted.
            unit = unit.collectList().flatMapIterable(results -> results);
        }
        // One error mapping for the deadline's timeout and usingWhen's wrapper of a failed commit.
        unit = unit
                .transform(deadlines.within(timeout))
                .onErrorMap(error -> error instanceof TimeoutException
                        ? timedOut(endpoint, timeout, tx, mayHaveWritten && lease[0] != null, error)
                        : isCleanupWrapper(error) ? error.getCause() : error);
        if (writes && health != null) {
            // A write that cannot reach the writer is the first sign of a failover: find out now.
            unit = unit.doOnError(error -> {
                if (error instanceof DbConnectionException || error instanceof DbOutcomeUnknownException) {
                    troubleOn(endpoint);
                }
            });
        }
        String operation = DbOperation.of(context, tx != null ? "transaction" : writes ? "write" : "read");
        unit = observed(unit, endpoint, operation, inFlight, lease);
        if (breakers == null) {
            return unit;
        }
        // transform, not transformDeferred: this method already runs once per subscription.
        unit = unit.transform(waitsForTrial ? breakers.operator(endpoint.name(), () -> handedOver[0], wait::remaining)
                : breakers.operator(endpoint.name(), () -> handedOver[0]));
        if (writes || refused != null || pinned != null) {
            return unit;
        }
        // Fallback: a half-open breaker whose trial calls are all taken refuses the read; it goes
        // to the next eligible endpoint (once), not back to the caller.
        return unit.onErrorResume(error -> error instanceof DbUnavailableException unavailable
                        && unavailable.endpoint().map(endpoint.name()::equals).orElse(false),
                error -> attempt(context, consistency, false, tx, work, endpoint, null));
    }

    /**
     * The attempt's acquisition: the pool's own when the whole acquire timeout is left, else bounded
     * by what is left of the unit's wait when it subscribes (after a wait for a breaker's trial slot).
     */
    private static Mono<io.r2dbc.spi.Connection> acquire(EndpointPool pool, ConnectionWait wait, boolean fresh, boolean waitsForTrial) {
        boolean nested = wait.nestedOn(pool);
        if (fresh && !nested && !waitsForTrial) {
            return pool.acquire();
        }
        return Mono.defer(() -> pool.acquire(wait.remaining(), nested));
    }

    private ReactiveDbException timedOut(Endpoint endpoint, Duration timeout, @Nullable TransactionOptions tx, boolean mayHaveWritten,
                                         Throwable cause) {
        String message = "[" + endpoint.name() + "] no result within " + timeout.toMillis() + " ms (query timeout); the statement was"
                + " cancelled on the server (" + endpoint.poolStatistics().describe() + ")";
        if (tx == null && mayHaveWritten) {
            return new DbOutcomeUnknownException(message + "; the write may or may not have been applied", cause, null, endpoint.name());
        }
        // A read, a transaction the cancel rolls back, or a unit still waiting for its connection
        // (nothing was sent): nothing stays applied.
        return new DbTimeoutException(message, cause, endpoint.name(), timeout, true);
    }

    private void onRetry(int attempt, int maxAttempts, Classification classification, Throwable error, Duration delay) {
        RETRY_LOG.onRetry(attempt, maxAttempts, classification, error, delay);
        for (QueryListener listener : listeners) {
            try {
                listener.onRetry(classification.name().toLowerCase(java.util.Locale.ROOT));
            } catch (RuntimeException e) {
                log.warn("A query listener failed", e);
            }
        }
    }

    /**
     * Times the unit from subscription to termination: the listeners get every duration, the
     * slow-query log the ones over its threshold (with the SQL text of the last statement, never
     * its values). With neither configured it only keeps the in-flight count.
     */
    private <T> Flux<T> observed(Flux<T> unit, Endpoint endpoint, String operation, AtomicInteger inFlight, Lease[] lease) {
        // Counted from subscription: a breaker that refuses the call never subscribes here, so
        // nothing is counted that would not be uncounted.
        if (listeners.isEmpty() && slowQueries == null) {
            return new Observed<>(unit, inFlight, endpoint.answeredCounter(), null);
        }
        long started = System.nanoTime();
        return new Observed<>(unit, inFlight, endpoint.answeredCounter(), (signal, error) -> {
            long nanos = System.nanoTime() - started;
            String outcome = switch (signal) {
                case ON_COMPLETE -> "success";
                case CANCEL -> "cancelled";
                default -> error == null ? "client" : outcomeOf(error);
            };
            if (slowQueries != null && nanos >= slowQueries.threshold().toNanos()) {
                Lease held = lease[0];
                slowQueries.record(Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS)), endpoint.name(), operation,
                        held == null ? "" : held.lastSql(), Duration.ofNanos(nanos), outcome);
            }
            for (QueryListener listener : listeners) {
                try {
                    listener.onWork(endpoint, operation, outcome, nanos);
                } catch (RuntimeException e) {
                    log.warn("A query listener failed", e);
                }
            }
        });
    }

    private static String outcomeOf(Throwable error) {
        if (error instanceof DbPoolExhaustedException) {
            return "pool_exhausted";
        } else if (error instanceof DbTimeoutException) {
            return "timeout";
        } else if (error instanceof DbConnectionException) {
            return "connection";
        } else if (error instanceof DbQueryException) {
            return "query";
        } else if (error instanceof DbTransactionException) {
            return "transaction";
        } else if (error instanceof DbOutcomeUnknownException) {
            return "outcome_unknown";
        } else if (error instanceof DbUnavailableException) {
            return "unavailable";
        } else if (error instanceof DbPoolerException) {
            return "pooler";
        }
        return "client";
    }

    private <T> Flux<T> body(Lease lease, boolean writes, @Nullable TransactionOptions tx, boolean mayHaveWritten,
                             Function<? super DbSession, ? extends Publisher<T>> work) {
        Flux<T> result = Flux.defer(() -> work.apply(lease));
        if (tx != null) {
            result = lease.begin(tx).thenMany(result);
        }
        return result.onErrorMap(ReactiveDbRouter::isDriverFailure, error -> {
            ReactiveDbException translated = ErrorTranslator.translate(error, lease.endpoint(), Phase.EXECUTE, mayHaveWritten);
            if (writes && READ_ONLY_TRANSACTION.equals(translated.sqlState().orElse(null))) {
                onWriteToReadOnlyServer(lease);
            } else if (translated instanceof DbPoolerException pooler && pooler.reason() == DbPoolerException.Reason.STATEMENT_MISMATCH) {
                onPoolerMismatch(lease, pooler);
            }
            return translated;
        });
    }

    /**
     * A write met {@code 25006}: the server taken for the primary is read-only now (demoted under
     * us). Its connection is discarded, the topology is checked at once, and the error is reported
     * as is: never retried on the same server.
     */
    private void onWriteToReadOnlyServer(Lease lease) {
        lease.discardOnRelease();
        log.warn("[{}] rejected a write as read-only (25006); re-checking the topology", lease.endpoint());
        if (health != null) {
            health.probeNow();
        }
    }

    /**
     * The server's reply shows a transaction pooler that {@code DB_POOLER} does not name: this
     * connection's statement cache is wrong for the session it now runs in, so it is discarded, and
     * the health stream says so (at most once per endpoint and interval).
     */
    private void onPoolerMismatch(Lease lease, DbPoolerException error) {
        lease.discardOnRelease();
        if (health != null) {
            health.poolerMismatch(lease.endpoint(), error.sqlState().orElse(""));
        }
    }

    private Mono<Void> complete(Lease lease, boolean transaction, @Nullable ConsistencySession session) {
        if (!transaction && session == null) {
            return lease.release(); // the common case, without the empty steps before it
        }
        Mono<Void> done = transaction
                ? lease.commit().onErrorResume(error -> lease.release().then(Mono.error(
                        isDriverFailure(error) ? ErrorTranslator.translate(error, lease.endpoint(), Phase.COMMIT, true) : error)))
                : Mono.empty();
        if (session != null) {
            done = done.then(lease.walInsertPosition()
                    .doOnNext(session::advance)
                    .onErrorResume(error -> {
                        log.debug("[{}] could not read the WAL position after a write: {}", lease.endpoint(), error.toString());
                        session.markUncertain();
                        return Mono.empty();
                    })
                    .then());
        }
        return done.then(Mono.defer(lease::release));
    }

    /**
     * Reactor's {@code usingWhen} wraps an error of the completion step (here: a failed COMMIT, as
     * a serialization failure at commit under SERIALIZABLE) in a plain {@code RuntimeException};
     * the caller and the retry need the translated error itself.
     */
    private static boolean isCleanupWrapper(Throwable error) {
        return error.getClass() == RuntimeException.class && error.getCause() instanceof ReactiveDbException;
    }

    /** Driver, pool and network failures are translated; the caller's own exceptions are not. */
    private static boolean isDriverFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof R2dbcException || t instanceof IOException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private @Nullable Endpoint readEndpoint(ReadConsistency consistency, Optional<ConsistencySession> session, @Nullable Endpoint refused) {
        Endpoint current = writer;
        Predicate<Endpoint> readable = refused == null ? this::readable : e -> e != refused && readable(e);
        Endpoint replica = switch (consistency.level()) {
            case STRONG -> null;
            case EVENTUAL -> selector.select(endpoints, readable);
            case BOUNDED_STALENESS -> selector.select(endpoints, e -> readable.test(e) && e.health()
                    .flatMap(EndpointHealth::lagTime).map(lag -> lag.compareTo(consistency.maxLag()) <= 0).orElse(false));
            case READ_YOUR_WRITES -> readYourWrites(session, readable);
        };
        return replica != null ? replica : current == refused ? null : current;
    }

    /** In rotation by health, and its breaker lets calls through. */
    private boolean readable(Endpoint endpoint) {
        return endpoint.isInRotation() && !endpoint.isStalled() && (breakers == null || breakers.allowsCalls(endpoint.name()));
    }

    private @Nullable Endpoint readYourWrites(Optional<ConsistencySession> session, Predicate<Endpoint> readable) {
        if (session.isEmpty()) {
            return selector.select(endpoints, readable);
        }
        if (session.get().isUncertain()) {
            return null;
        }
        Optional<ConsistencyToken> token = session.get().token();
        if (token.isEmpty()) {
            return selector.select(endpoints, readable);
        }
        Lsn needed = token.get().lsn();
        return selector.select(endpoints, e -> readable.test(e) && e.hasReplayed(needed));
    }

    /**
     * A read-your-writes read whose token no replica is known to have replayed (the last probe
     * round is older than the write): a replica in rotation is asked for its replay position, and
     * serves the read if it has caught up; otherwise, or if the question fails, the primary does.
     * Without this, every read right after a write went to the primary until the next probe round.
     * Empty when there is nothing to check (no token, an uncertain session, no replica in rotation).
     */
    private <T> Optional<Flux<T>> checkedReadYourWrites(ContextView context, ReadConsistency consistency, @Nullable TransactionOptions tx,
                                                        Function<? super DbSession, ? extends Publisher<T>> work,
                                                        @Nullable Endpoint refused, Optional<ConsistencySession> session) {
        Optional<Lsn> needed = session.filter(s -> !s.isUncertain()).flatMap(ConsistencySession::token).map(ConsistencyToken::lsn);
        Endpoint primaryNow = writer;
        Endpoint candidate = needed.isEmpty() ? null
                : selector.select(endpoints, e -> e != refused && e != primaryNow && readable(e));
        if (candidate == null || primaryNow == null) {
            return Optional.empty();
        }
        Lsn lsn = needed.get();
        return Optional.of(replayPosition(candidate)
                .filter(position -> position.isAtLeast(lsn))
                .hasElement()
                .flatMapMany(caughtUp -> attempt(context, consistency, false, tx, work, refused, caughtUp ? candidate : primaryNow)));
    }

    /** {@code pg_last_wal_replay_lsn()} on {@code replica}, recorded on it; empty when unknown or failed. */
    private Mono<Lsn> replayPosition(Endpoint replica) {
        return Mono.usingWhen(replica.pool().acquire().map(connection -> new Lease(replica, connection, scheduler, cleanupTimeout)),
                        lease -> lease.query("SELECT pg_last_wal_replay_lsn()::text", row -> Optional.ofNullable(row.get(0, String.class))).next(),
                        Lease::release,
                        (lease, error) -> lease.releaseAfterError(error),
                        Lease::releaseAfterCancel)
                .flatMap(Mono::justOrEmpty)
                .map(Lsn::parse)
                .doOnNext(replica::replayedUpTo)
                .timeout(REPLAY_CHECK_TIMEOUT, scheduler)
                .onErrorResume(error -> {
                    log.debug("[{}] could not read the replay position for a read-your-writes read: {}", replica.name(), error.toString());
                    return Mono.empty();
                });
    }

    /**
     * Opens each pool's minimum of connections. Completes when the primary's are open; a replica
     * that cannot be reached is logged and left to connect lazily.
     */
    public Mono<Void> warmUp() {
        Mono<Integer> primaryWarm = primary.pool().warmUp();
        Flux<Integer> replicaWarm = Flux.fromIterable(replicas).flatMap(replica -> replica.pool().warmUp()
                .onErrorResume(error -> {
                    log.warn("[{}] warm-up failed, the pool will connect on demand: {}", replica.name(), error.getMessage());
                    return Mono.empty();
                }));
        return Mono.when(primaryWarm, replicaWarm);
    }

    /** The fixed statement of {@link #probe(String)}. */
    public static final String PROBE_SQL = "SELECT 1 /* reactive-db probe */";

    /**
     * Runs the fixed probe {@value #PROBE_SQL} on the named endpoint over one of its pooled
     * connections, whatever its role, health or breaker state (a diagnostic: no routing, no retry),
     * bounded by the query timeout. Emits the statement's round trip, the wait for a connection
     * excluded. Fails with {@link IllegalArgumentException} for an unknown name, else with a
     * translated {@link ReactiveDbException}.
     */
    public Mono<Duration> probe(String endpointName) {
        Objects.requireNonNull(endpointName, "endpointName");
        return Mono.defer(() -> {
            Endpoint endpoint = endpoint(endpointName).orElse(null);
            if (endpoint == null) {
                return Mono.error(new IllegalArgumentException("no endpoint named '" + endpointName + "'"));
            }
            if (!accepting) {
                return Mono.error(new DbUnavailableException("the router is shut down and takes no new work", null));
            }
            return Mono.usingWhen(
                            endpoint.pool().acquire().map(connection -> new Lease(endpoint, connection, scheduler, cleanupTimeout)),
                            lease -> Mono.defer(() -> {
                                long started = System.nanoTime();
                                return lease.query(PROBE_SQL, row -> Boolean.TRUE).then(Mono.fromSupplier(() -> Duration.ofNanos(System.nanoTime() - started)));
                            }),
                            Lease::release,
                            (lease, error) -> lease.releaseAfterError(error),
                            Lease::releaseAfterCancel)
                    .onErrorMap(ReactiveDbRouter::isCleanupWrapper, Throwable::getCause)
                    .onErrorMap(error -> !(error instanceof ReactiveDbException) && isDriverFailure(error),
                            error -> ErrorTranslator.translate(error, endpoint.name(), Phase.EXECUTE, false))
                    .timeout(queryTimeout, scheduler)
                    .onErrorMap(TimeoutException.class, error -> timedOut(endpoint, queryTimeout, null, false, error));
        });
    }

    /**
     * Drains and rebuilds the pool of the named endpoint: new work gets connections from a fresh
     * pool at once, while the old pool keeps serving the work that holds or waits for its
     * connections and closes once they have come back (waiting at most
     * {@link ReactiveDbSettings#shutdownTimeout()}). Completes when the old pool is closed and the
     * new one has opened its minimum of connections; fails with that warm-up's error when the
     * server cannot be reached (the new pool then connects on demand). The pool's statistics,
     * acquire timeouts included, start again from zero. Fails with
     * {@link IllegalArgumentException} for an unknown name and {@link DbUnavailableException}
     * after {@link #shutdown}.
     */
    public Mono<Void> reconnect(String endpointName) {
        Objects.requireNonNull(endpointName, "endpointName");
        return Mono.defer(() -> {
            Endpoint endpoint = endpoint(endpointName).orElse(null);
            if (endpoint == null) {
                return Mono.error(new IllegalArgumentException("no endpoint named '" + endpointName + "'"));
            }
            return reconnect(endpoint);
        });
    }

    /** {@link #reconnect(String)} of every endpoint, all at once. */
    public Mono<Void> reconnectAll() {
        return Mono.defer(() -> Flux.fromIterable(endpoints).flatMapDelayError(this::reconnect, endpoints.size(), 1).then());
    }

    private Mono<Void> reconnect(Endpoint endpoint) {
        if (!accepting) {
            return Mono.error(new DbUnavailableException("the router is shut down and takes no new work", null));
        }
        // Building a pool reads files (the driver's and Netty's set-up): off the caller's thread.
        return Mono.fromCallable(() -> EndpointPool.create(endpoint.settings(), settings.pool(), settings.session(), deadlines))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(fresh -> drainAndClose(endpoint, endpoint.replacePool(fresh)));
    }

    private Mono<Void> drainAndClose(Endpoint endpoint, EndpointPool old) {
        Duration deadline = settings.shutdownTimeout();
        log.info("[{}] reconnecting: new work goes to a fresh pool; draining the old one ({})", endpoint.name(), old.statistics().describe());
        Mono<Void> drained = Flux.interval(Duration.ZERO, IDLE_POLL, scheduler)
                .filter(tick -> old.statistics().acquired() == 0 && old.statistics().pending() == 0)
                .next()
                .then()
                .timeout(deadline, Mono.<Void>fromRunnable(() -> log.warn("[{}] the old pool still lends connections after {}; closing it anyway",
                        endpoint.name(), deadline)), scheduler);
        return drained
                .then(old.close().onErrorResume(error -> {
                    log.warn("[{}] closing the old pool failed: {}", endpoint.name(), error.toString());
                    return Mono.empty();
                }))
                .then(endpoint.pool().warmUp())
                .doOnSuccess(opened -> log.info("[{}] reconnected", endpoint.name()))
                .then();
    }

    /** {@link #shutdown(Duration)} with {@link ReactiveDbSettings#shutdownTimeout()}. */
    public Mono<Void> shutdown() {
        return shutdown(settings.shutdownTimeout());
    }

    /**
     * Stops taking work (new units fail at once with {@link DbUnavailableException}), waits up to
     * {@code deadline} for the work in flight to finish and its connections to come back, stops
     * the health monitor, then closes every pool. Calling it again returns the same shutdown.
     */
    public Mono<Void> shutdown(Duration deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Mono<Void> candidate = Mono.defer(() -> {
                    accepting = false;
                    log.info("Shutting down: waiting up to {} for {} unit(s) of work in flight", deadline, inFlight());
                    return Flux.interval(Duration.ZERO, IDLE_POLL, scheduler)
                            .filter(tick -> isIdle())
                            .next()
                            .then()
                            .timeout(deadline, Mono.<Void>fromRunnable(() -> log.warn(
                                    "Shutdown deadline of {} passed with {} unit(s) of work in flight; closing the pools anyway",
                                    deadline, inFlight())), scheduler);
                })
                .then(health == null ? Mono.empty() : health.stop())
                .then(Mono.fromRunnable(() -> {
                    if (stallWatch != null) {
                        stallWatch.dispose();
                    }
                    deadlines.dispose();
                    if (breakerEvents != null) {
                        breakerEvents.dispose();
                    }
                    if (breakers != null) {
                        breakers.close();
                    }
                }))
                .then(Flux.fromIterable(endpoints)
                        .flatMap(endpoint -> endpoint.pool().close().onErrorResume(error -> {
                            log.warn("[{}] closing the pool failed: {}", endpoint.name(), error.toString());
                            return Mono.empty();
                        }))
                        .then())
                .doOnSuccess(done -> {
                    listeners.forEach(QueryListener::onShutdown);
                    log.info("Shut down");
                })
                .cache();
        return shutdown.compareAndSet(null, candidate) ? candidate : Objects.requireNonNull(shutdown.get());
    }

    private boolean isIdle() {
        for (Endpoint endpoint : endpoints) {
            if (endpoint.inFlight() > 0 || endpoint.poolStatistics().acquired() > 0) {
                return false;
            }
        }
        return true;
    }

    private int inFlight() {
        int total = 0;
        for (Endpoint endpoint : endpoints) {
            total += endpoint.inFlight();
        }
        return total;
    }

    /**
     * The health monitor: {@code health().events()} is the hot event stream,
     * {@code health().snapshot()} the latest state.
     *
     * @throws IllegalStateException when the router was built with health monitoring off
     */
    public HealthMonitor health() {
        if (health == null) {
            throw new IllegalStateException("health monitoring is off for this router (Builder.healthMonitoring(false))");
        }
        return health;
    }

    /** The circuit breakers, one per endpoint; empty when breaking is off. */
    public Optional<EndpointBreakers> breakers() {
        return Optional.ofNullable(breakers);
    }

    /** The most recent slow units of work; empty when the slow-query log is off. */
    public Optional<SlowQueryLog> slowQueries() {
        return Optional.ofNullable(slowQueries);
    }

    /** Whether this router runs a health monitor ({@link Builder#healthMonitoring(boolean)}). */
    public boolean isHealthMonitored() {
        return health != null;
    }

    /** Whether {@link #shutdown} has been called. */
    public boolean isShutdown() {
        return !accepting;
    }

    /** The endpoint configured as primary. Writes go to {@link #writer()}, which differs after a failover. */
    public Endpoint primary() {
        return primary;
    }

    /** Where writes go now: the configured primary until the health monitor observes otherwise. */
    public Optional<Endpoint> writer() {
        return Optional.ofNullable(writer);
    }

    public List<Endpoint> replicas() {
        return replicas;
    }

    /** The primary first, then the replicas in configured order. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Optional<Endpoint> endpoint(String name) {
        for (Endpoint endpoint : endpoints) {
            if (endpoint.name().equals(name)) {
                return Optional.of(endpoint);
            }
        }
        return Optional.empty();
    }

    public ReactiveDbSettings settings() {
        return settings;
    }

    /** Builds a {@link ReactiveDbRouter}. */
    public static final class Builder {
        private final ReactiveDbSettings settings;
        private Scheduler scheduler = Schedulers.parallel();
        private @Nullable HealthSettings healthSettings = HealthSettings.defaults();
        private final List<QueryListener> listeners = new ArrayList<>();
        private final List<HealthComponent> healthComponents = new ArrayList<>();
        private @Nullable RetrySettings retry = RetrySettings.defaults();
        private @Nullable BreakerSettings breakerSettings = BreakerSettings.defaults();
        private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private @Nullable SlowQueryLog slowQueries = SlowQueryLog.defaults();

        private Builder(ReactiveDbSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** The scheduler for every delay, interval and timeout of the router; default {@link Schedulers#parallel()}. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Health probing and topology tracking; default {@link HealthSettings#defaults()}. */
        public Builder health(HealthSettings healthSettings) {
            this.healthSettings = Objects.requireNonNull(healthSettings, "healthSettings");
            return this;
        }

        /**
         * Turns health monitoring off: no probes, the configured topology is trusted as is, and
         * {@link ReactiveDbRouter#health()} is unavailable. Default on.
         */
        public Builder healthMonitoring(boolean enabled) {
            this.healthSettings = enabled ? (healthSettings == null ? HealthSettings.defaults() : healthSettings) : null;
            return this;
        }

        /**
         * Adds a component checked in every health round (for example the backups' health); its
         * state shows in {@link HealthSnapshot#components()}, and a degraded one makes the status
         * DEGRADED. Ignored when health monitoring is off.
         *
         * @throws IllegalArgumentException when a component of that name was added already
         */
        public Builder healthComponent(HealthComponent component) {
            Objects.requireNonNull(component, "component");
            if (healthComponents.stream().anyMatch(c -> c.name().equals(component.name()))) {
                throw new IllegalArgumentException("a health component named '" + component.name() + "' was added already");
            }
            healthComponents.add(component);
            return this;
        }

        /** Retry with backoff of what {@link FailureClassifier#isRetryable} allows; default {@link RetrySettings#defaults()}. */
        public Builder retry(RetrySettings retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /** No automatic retry: every failure reaches the caller at once. */
        public Builder noRetry() {
            this.retry = null;
            return this;
        }

        /** One circuit breaker per endpoint; default {@link BreakerSettings#defaults()}. */
        public Builder breakers(BreakerSettings breakers) {
            this.breakerSettings = Objects.requireNonNull(breakers, "breakers");
            return this;
        }

        /** No circuit breakers. */
        public Builder noBreakers() {
            this.breakerSettings = null;
            return this;
        }

        /**
         * The longest a unit of work may take, from subscription to its last element, before it is
         * cancelled on the server and fails with {@link DbTimeoutException}; default
         * 30 s ({@code DB_QUERY_TIMEOUT}). Per call:
         * {@link DbOperation#timeout(Duration)}.
         */
        public Builder queryTimeout(Duration queryTimeout) {
            Objects.requireNonNull(queryTimeout, "queryTimeout");
            if (queryTimeout.isZero() || queryTimeout.isNegative()) {
                throw new ConfigurationException("DB_QUERY_TIMEOUT", "must be > 0 but was " + queryTimeout);
            }
            this.queryTimeout = queryTimeout;
            return this;
        }

        /** Where slow units of work are logged and kept; default {@link SlowQueryLog#defaults()}. */
        public Builder slowQueryLog(SlowQueryLog slowQueries) {
            this.slowQueries = Objects.requireNonNull(slowQueries, "slowQueries");
            return this;
        }

        /** No slow-query log. */
        public Builder noSlowQueryLog() {
            this.slowQueries = null;
            return this;
        }

        /**
         * Applies the resilience and health variables of {@code env}: {@code DB_MAX_RETRIES},
         * {@code DB_RETRY_*}, {@code DB_CIRCUIT_BREAKER_*}, {@code DB_QUERY_TIMEOUT} (plain number:
         * milliseconds), {@code DB_SLOW_QUERY_THRESHOLD}, {@code DB_HEALTH_INTERVAL},
         * {@code DB_HEALTH_TIMEOUT}, {@code DB_MAX_REPLICA_LAG} (plain numbers: milliseconds).
         *
         * @throws ConfigurationException naming the first invalid variable
         */
        public Builder fromEnvironment(java.util.Map<String, String> env) {
            retry(RetrySettings.fromEnvironment(env));
            breakers(BreakerSettings.fromEnvironment(env));
            slowQueryLog(SlowQueryLog.fromEnvironment(env));
            String timeout = env.get("DB_QUERY_TIMEOUT");
            if (timeout != null && !timeout.isBlank()) {
                queryTimeout(Durations.parse("DB_QUERY_TIMEOUT", timeout, java.time.temporal.ChronoUnit.MILLIS));
            }
            if (healthSettings != null) {
                health(HealthSettings.fromEnvironment(env));
            }
            return this;
        }

        /** Adds a listener told about every unit of work (for example {@code ReactiveDbMetrics}). */
        public Builder queryListener(QueryListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        public ReactiveDbRouter build() {
            return new ReactiveDbRouter(this);
        }
    }
}
