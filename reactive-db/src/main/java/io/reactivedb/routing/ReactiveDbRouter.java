package io.reactivedb.routing;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.pool.EndpointPool;
import io.r2dbc.spi.R2dbcException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs units of work on a PostgreSQL primary and its streaming replicas, without blocking.
 *
 * <p>Every method returns a cold publisher: nothing happens until subscription, and each
 * subscription borrows one connection for the whole unit of work and gives it back exactly once,
 * on completion, error or cancellation (see {@link DbSession} for release hygiene).
 *
 * <ul>
 *   <li>{@link #read} goes to a replica chosen by the configured
 *       {@link io.reactivedb.config.ReplicaSelection}; with no replica in rotation, to the primary.</li>
 *   <li>{@link #write} goes to the primary.</li>
 *   <li>{@link #inTransaction} runs the work in one transaction: on the primary, or on a replica when
 *       read-only; committed when the work completes, rolled back when it fails or is cancelled.</li>
 * </ul>
 *
 * <p>Failures arrive as {@link io.reactivedb.error.ReactiveDbException}s. Errors thrown by the
 * caller's own code (a mapper, an argument check) pass through unchanged.
 *
 * <p>The router owns its pools: {@link #shutdown()} stops taking work, waits for in-flight work up
 * to a deadline and closes them.
 */
public final class ReactiveDbRouter {

    private static final Logger log = LoggerFactory.getLogger(ReactiveDbRouter.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(10);

    private final ReactiveDbSettings settings;
    private final Scheduler scheduler;
    private final Duration cleanupTimeout;
    private final Endpoint primary;
    private final List<Endpoint> replicas;
    private final List<Endpoint> endpoints;
    private final ReplicaSelector selector;
    private final AtomicReference<@Nullable Mono<Void>> shutdown = new AtomicReference<>();
    private volatile boolean accepting = true;

    private ReactiveDbRouter(Builder builder) {
        this.settings = builder.settings;
        this.scheduler = builder.scheduler;
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
        this.selector = ReplicaSelector.of(settings.replicaSelection(), replicas);
    }

    private Endpoint endpoint(EndpointSettings endpoint) {
        return new Endpoint(endpoint, EndpointPool.create(endpoint, settings.pool(), settings.session()));
    }

    /** A router with the default scheduler ({@link Schedulers#parallel()}). Opens no connection yet. */
    public static ReactiveDbRouter create(ReactiveDbSettings settings) {
        return builder(settings).build();
    }

    public static Builder builder(ReactiveDbSettings settings) {
        return new Builder(settings);
    }

    /**
     * Runs read-only work on a replica in rotation, else on the primary. Reads are idempotent: a
     * connection lost mid-read is reported as retry-safe.
     */
    public <T> Flux<T> read(Function<? super DbSession, ? extends Publisher<T>> work) {
        return run(null, false, null, work);
    }

    /**
     * Runs work on the primary, outside an explicit transaction (each statement commits on its
     * own). A connection lost after a statement was sent is reported as
     * {@link io.reactivedb.error.DbOutcomeUnknownException}.
     */
    public <T> Flux<T> write(Function<? super DbSession, ? extends Publisher<T>> work) {
        return run(primary, true, null, work);
    }

    /** {@link #inTransaction(TransactionOptions, Function)} with {@link TransactionOptions#defaults()}. */
    public <T> Flux<T> inTransaction(Function<? super DbSession, ? extends Publisher<T>> work) {
        return inTransaction(TransactionOptions.defaults(), work);
    }

    /**
     * Runs work in one transaction: begun with the options' isolation and access mode, committed
     * when the work completes, rolled back when it fails or the subscriber cancels. Read-only
     * transactions go where reads go; others to the primary. A connection lost before the commit
     * was sent leaves nothing behind (the server rolls back) and is retry-safe; one lost during the
     * commit is reported as {@link io.reactivedb.error.DbOutcomeUnknownException}.
     */
    public <T> Flux<T> inTransaction(TransactionOptions options, Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(options, "options");
        return run(options.readOnly() ? null : primary, false, options, work);
    }

    private <T> Flux<T> run(@Nullable Endpoint fixed, boolean mayHaveWritten, @Nullable TransactionOptions tx,
                            Function<? super DbSession, ? extends Publisher<T>> work) {
        Objects.requireNonNull(work, "work");
        return Flux.defer(() -> {
            if (!accepting) {
                return Flux.error(new DbUnavailableException("the router is shut down and takes no new work", null));
            }
            Endpoint endpoint = fixed != null ? fixed : readEndpoint();
            AtomicInteger inFlight = endpoint.inFlightCounter();
            inFlight.incrementAndGet();
            return Flux.usingWhen(
                            endpoint.pool().acquire().map(connection -> new Lease(endpoint, connection, scheduler, cleanupTimeout)),
                            lease -> body(lease, tx, mayHaveWritten, work),
                            lease -> tx == null ? lease.release() : commitAndRelease(lease),
                            (lease, error) -> lease.release(),
                            Lease::releaseAfterCancel)
                    .doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    private <T> Flux<T> body(Lease lease, @Nullable TransactionOptions tx, boolean mayHaveWritten,
                             Function<? super DbSession, ? extends Publisher<T>> work) {
        Flux<T> result = Flux.defer(() -> work.apply(lease));
        if (tx != null) {
            result = lease.begin(tx).thenMany(result);
        }
        return result.onErrorMap(ReactiveDbRouter::isDriverFailure,
                error -> ErrorTranslator.translate(error, lease.endpoint(), Phase.EXECUTE, mayHaveWritten));
    }

    private Mono<Void> commitAndRelease(Lease lease) {
        return lease.commit()
                .onErrorResume(error -> lease.release().then(Mono.error(
                        isDriverFailure(error) ? ErrorTranslator.translate(error, lease.endpoint(), Phase.COMMIT, true) : error)))
                .then(Mono.defer(lease::release));
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

    private Endpoint readEndpoint() {
        Endpoint replica = selector.select(replicas);
        return replica != null ? replica : primary;
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

    /** {@link #shutdown(Duration)} with {@link ReactiveDbSettings#shutdownTimeout()}. */
    public Mono<Void> shutdown() {
        return shutdown(settings.shutdownTimeout());
    }

    /**
     * Stops taking work (new units fail at once with
     * {@link io.reactivedb.error.DbUnavailableException}), waits up to {@code deadline} for the work
     * in flight to finish and its connections to come back, then closes every pool. Calling it again
     * returns the same shutdown.
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
                .then(Flux.fromIterable(endpoints)
                        .flatMap(endpoint -> endpoint.pool().close().onErrorResume(error -> {
                            log.warn("[{}] closing the pool failed: {}", endpoint.name(), error.toString());
                            return Mono.empty();
                        }))
                        .then())
                .doOnSuccess(done -> log.info("Shut down"))
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

    /** Whether {@link #shutdown} has been called. */
    public boolean isShutdown() {
        return !accepting;
    }

    public Endpoint primary() {
        return primary;
    }

    public List<Endpoint> replicas() {
        return replicas;
    }

    /** The primary first, then the replicas in configured order. */
    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public Optional<Endpoint> endpoint(String name) {
        return endpoints.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public ReactiveDbSettings settings() {
        return settings;
    }

    /** Builds a {@link ReactiveDbRouter}. */
    public static final class Builder {
        private final ReactiveDbSettings settings;
        private Scheduler scheduler = Schedulers.parallel();

        private Builder(ReactiveDbSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
        }

        /** The scheduler for every delay and timeout of the router; default {@link Schedulers#parallel()}. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        public ReactiveDbRouter build() {
            return new ReactiveDbRouter(this);
        }
    }
}
