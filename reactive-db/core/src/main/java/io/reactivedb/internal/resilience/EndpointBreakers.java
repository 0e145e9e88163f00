package io.reactivedb.internal.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.resilience.BreakerTransition;
import io.reactivedb.resilience.BreakerView;
import io.reactivedb.resilience.FailureClassifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * One Resilience4j {@link CircuitBreaker} per endpoint name, created on first use. Only failures
 * that {@link FailureClassifier#countsAgainstEndpoint(Throwable) count against the endpoint} are
 * recorded as failures; every other error is ignored (neither a failure nor a success), so unique
 * violations or serialization conflicts never open a breaker.
 *
 * <p>Breakers do not move from OPEN to HALF_OPEN on a timer (no Resilience4j thread); the first
 * call after the wait moves them. {@link #allowsCalls(String)} therefore reports an OPEN breaker
 * whose wait is over as allowing calls, so that a router which takes endpoints out of rotation with
 * it still sends the trial call.
 *
 * <p>Time: breakers built by {@link #create(BreakerSettings, Scheduler)} read the given scheduler's
 * clock for the open-state wait, slow calls, {@link BreakerTransition#at()} and the waits for a
 * trial slot ({@link #operator(String, LongSupplier, Supplier)}), so a {@code VirtualTimeScheduler}
 * drives them in tests.
 */
public final class EndpointBreakers {

    /** The start of a call that never began, for {@link #operator(String, LongSupplier)}: its duration is zero. */
    public static final long NOT_STARTED = Long.MIN_VALUE;

    /** Transitions kept for {@link #transitions()} subscribers that lag, or before the first one subscribes: 256. */
    public static final int TRANSITION_BUFFER = 256;

    private static final Logger LOG = LoggerFactory.getLogger(EndpointBreakers.class);

    private final CircuitBreakerRegistry registry;
    private final CircuitBreakerConfig config;
    /** Times the waits for a trial slot; null: no waiting ({@link #of(CircuitBreakerRegistry)}). */
    private final @Nullable Scheduler scheduler;
    private final Clock clock;
    private final LongSupplier timestamp;
    private final ConcurrentHashMap<String, Tracked> breakers = new ConcurrentHashMap<>();
    private final Sinks.Many<BreakerTransition> transitions = Sinks.many().multicast().onBackpressureBuffer(TRANSITION_BUFFER, false);
    private final Object emitLock = new Object();
    private final AtomicLong droppedTransitions = new AtomicLong();

    private EndpointBreakers(CircuitBreakerRegistry registry, CircuitBreakerConfig config, @Nullable Scheduler scheduler) {
        this.registry = registry;
        this.config = config;
        this.scheduler = scheduler;
        this.clock = config.getClock();
        this.timestamp = () -> config.getCurrentTimestampFunction().apply(clock);
    }

    /** Breakers configured from {@code settings}, timed by {@code scheduler}. */
    public static EndpointBreakers create(BreakerSettings settings, Scheduler scheduler) {
        CircuitBreakerConfig config = config(settings, scheduler);
        return new EndpointBreakers(CircuitBreakerRegistry.of(config), config, scheduler);
    }

    /**
     * Breakers created in {@code registry} with its default configuration, except that the record
     * and ignore predicates are replaced by {@link FailureClassifier#countsAgainstEndpoint(Throwable)}
     * and the automatic open-to-half-open transition is turned off. Time comes from that
     * configuration's clock. Without a scheduler to time the waits, calls refused for want of a
     * trial slot fail at once whatever wait {@link #operator(String, LongSupplier, Supplier)} allows.
     */
    public static EndpointBreakers of(CircuitBreakerRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        CircuitBreakerConfig config = classified(CircuitBreakerConfig.from(registry.getDefaultConfig())).build();
        return new EndpointBreakers(registry, config, null);
    }

    /** The Resilience4j configuration {@link #create(BreakerSettings, Scheduler)} uses. */
    public static CircuitBreakerConfig config(BreakerSettings settings, Scheduler scheduler) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(scheduler, "scheduler");
        return classified(CircuitBreakerConfig.custom())
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.slidingWindowSize())
                .minimumNumberOfCalls(settings.minimumNumberOfCalls())
                .failureRateThreshold(settings.failureRateThreshold())
                .slowCallRateThreshold(settings.slowCallRateThreshold())
                .slowCallDurationThreshold(settings.slowCallDuration())
                .waitDurationInOpenState(settings.waitDurationInOpenState())
                .permittedNumberOfCallsInHalfOpenState(settings.permittedCallsInHalfOpenState())
                .clock(new SchedulerClock(scheduler))
                .currentTimestampFunction(clock -> scheduler.now(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS)
                .build();
    }

    private static CircuitBreakerConfig.Builder classified(CircuitBreakerConfig.Builder builder) {
        return builder
                .recordException(FailureClassifier::countsAgainstEndpoint)
                .ignoreException(error -> !FailureClassifier.countsAgainstEndpoint(error))
                .automaticTransitionFromOpenToHalfOpenEnabled(false);
    }

    /** The breaker of {@code endpoint}, created on first use. */
    public CircuitBreaker breaker(String endpoint) {
        return tracked(endpoint).breaker;
    }

    /**
     * Whether {@code endpoint} should stay in rotation: false while its breaker is FORCED_OPEN, or
     * OPEN and its wait is not over; true otherwise (CLOSED, HALF_OPEN, DISABLED, METRICS_ONLY, or
     * OPEN with the wait over, so that the next call can move it to HALF_OPEN). Cheap and without
     * side effects: it neither takes a permission nor changes the state.
     */
    public boolean allowsCalls(String endpoint) {
        Tracked tracked = tracked(endpoint);
        switch (tracked.breaker.getState()) {
            case FORCED_OPEN:
                return false;
            case OPEN:
                return clock.instant().isAfter(tracked.openedAt.plus(waitInOpenState()));
            default:
                return true;
        }
    }

    /**
     * An operator for {@code transformDeferred} that runs each subscription through the breaker of
     * {@code endpoint}, timed from its subscription. When the breaker refuses the call the upstream
     * is not subscribed and the subscriber gets a {@link DbUnavailableException} that names the
     * endpoint and says why the breaker is open. The breaker takes its permission at subscription,
     * so {@code transform} suffices where the flux is assembled per subscription anyway.
     */
    public <T> Function<Flux<T>, Flux<T>> operator(String endpoint) {
        Tracked tracked = tracked(endpoint);
        return flux -> new BreakerCall<>(flux, tracked.breaker, null, tracked.refusal);
    }

    /**
     * As {@link #operator(String)}, with the call timed from {@code start}, a reading of
     * {@link #now()} taken when the call really began, read when the call ends, or
     * {@link #NOT_STARTED} when it never began (its duration is then zero): a router passes the
     * moment the unit's connection was handed over, so a wait in the pool's queue is never a slow
     * call.
     */
    public <T> Function<Flux<T>, Flux<T>> operator(String endpoint, LongSupplier start) {
        Objects.requireNonNull(start, "start");
        Tracked tracked = tracked(endpoint);
        return flux -> new BreakerCall<>(flux, tracked.breaker, start, tracked.refusal);
    }

    /**
     * As {@link #operator(String, LongSupplier)}, for work that has nowhere else to go (a write, work
     * pinned to this endpoint): when the breaker is half-open and all its trial calls are in flight,
     * the subscription waits for a slot, up to {@code maxWait} (read at subscription; the unit's
     * acquire deadline), instead of failing at once. When a trial call finishes and the breaker
     * closes, waiting calls go on in arrival order; when it opens again, they fail with its refusal;
     * when the wait runs out, with a {@link DbUnavailableException} saying how long it waited. A
     * zero wait refuses at once. Waiting takes no thread: a queue entry and a timer on the
     * scheduler of {@link #create(BreakerSettings, Scheduler)}.
     */
    public <T> Function<Flux<T>, Flux<T>> operator(String endpoint, LongSupplier start, Supplier<Duration> maxWait) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(maxWait, "maxWait");
        Tracked tracked = tracked(endpoint);
        return flux -> new BreakerCall<>(flux, tracked.breaker, start, tracked.refusal, tracked.trials, maxWait, tracked.waitedTooLong);
    }

    /** The breakers' clock reading, in their timestamp unit (for {@link #create}: milliseconds of the scheduler's clock). */
    public long now() {
        return timestamp.getAsLong();
    }

    /**
     * Every state change of every breaker, as it happens; a hot stream that never completes until
     * {@link #close()}. Overflow policy: up to {@value #TRANSITION_BUFFER} transitions are buffered
     * for the slowest subscriber, and before the first subscriber arrives; when the buffer is full,
     * further transitions are dropped (never the breakers' calls delayed) and counted by
     * {@link #droppedTransitions()}.
     */
    public Flux<BreakerTransition> transitions() {
        return transitions.asFlux();
    }

    /** How many transitions were dropped because the {@link #transitions()} buffer was full. */
    public long droppedTransitions() {
        return droppedTransitions.get();
    }

    /** Completes {@link #transitions()}; the breakers keep working. */
    public void close() {
        synchronized (emitLock) {
            transitions.tryEmitComplete();
        }
    }

    private Duration waitInOpenState() {
        // The interval function of a fixed wait returns the same value for every attempt.
        return Duration.ofMillis(config.getWaitIntervalFunctionInOpenState().apply(1));
    }

    private Tracked tracked(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        Tracked known = breakers.get(endpoint);
        if (known != null) {
            return known;
        }
        return breakers.computeIfAbsent(endpoint, name -> {
            CircuitBreaker breaker = registry.circuitBreaker(name, config);
            Function<CircuitBreaker.State, DbUnavailableException> refusal = state -> refused(name, breaker, state);
            Tracked tracked = new Tracked(breaker, refusal, scheduler == null ? null : new TrialQueue(breaker, scheduler, refusal),
                    waited -> waitedTooLong(name, waited), clock.instant());
            breaker.getEventPublisher().onStateTransition(event -> {
                Instant at = clock.instant();
                CircuitBreaker.StateTransition change = event.getStateTransition();
                if (change.getToState() == CircuitBreaker.State.OPEN) {
                    tracked.openedAt = at;
                }
                LOG.info("[{}] circuit breaker {} -> {}", name, change.getFromState(), change.getToState());
                emit(new BreakerTransition(name, change.getFromState(), change.getToState(), at));
                if (tracked.trials != null) {
                    tracked.trials.drain(); // closed: the waiting calls go on; open again: they fail
                }
            });
            return tracked;
        });
    }

    private void emit(BreakerTransition transition) {
        Sinks.EmitResult result;
        synchronized (emitLock) {
            // Transitions of different breakers may happen on different threads at once; the lock
            // serializes the emissions, which a multicast sink requires.
            result = transitions.tryEmitNext(transition);
        }
        if (result.isFailure() && result != Sinks.EmitResult.FAIL_TERMINATED) {
            droppedTransitions.incrementAndGet();
        }
    }

    /**
     * The refusal of a call, described from {@code state}, the one reading of the breaker's state
     * taken after it refused (reading it again could see a later state: "open (CLOSED)").
     */
    static DbUnavailableException refused(String endpoint, CircuitBreaker breaker, CircuitBreaker.State state) {
        String why = switch (state) {
            case HALF_OPEN -> "circuit breaker is half-open and all its trial calls are in flight";
            case OPEN -> "circuit breaker is open after " + openReason(breaker);
            case FORCED_OPEN -> "circuit breaker is forced open";
            default -> "circuit breaker refused the call while it changed state (now " + state + ")";
        };
        return new DbUnavailableException("[" + endpoint + "] " + why + "; the call was not sent", endpoint);
    }

    private static DbUnavailableException waitedTooLong(String endpoint, long waitedMillis) {
        return new DbUnavailableException("[" + endpoint + "] circuit breaker is half-open and all its trial calls were still in flight"
                + " after " + waitedMillis + " ms, the unit's acquire deadline; the call was not sent", endpoint);
    }

    /** Which threshold opened the breaker, from the window it was opened on (kept while open). */
    static String openReason(CircuitBreaker breaker) {
        CircuitBreaker.Metrics metrics = breaker.getMetrics();
        CircuitBreakerConfig config = breaker.getCircuitBreakerConfig();
        int calls = metrics.getNumberOfBufferedCalls();
        if (calls > 0 && metrics.getFailureRate() >= config.getFailureRateThreshold()) {
            return "too many connection failures (" + Math.round(metrics.getFailureRate()) + " % of the last " + calls + " calls)";
        }
        if (calls > 0 && metrics.getSlowCallRate() >= config.getSlowCallRateThreshold()) {
            return "too many slow calls (" + Math.round(metrics.getSlowCallRate()) + " % of the last " + calls + " calls took "
                    + config.getSlowCallDurationThreshold().toMillis() + " ms or longer)";
        }
        return "too many connection failures";
    }

    private static final class Tracked {
        final CircuitBreaker breaker;
        final Function<CircuitBreaker.State, DbUnavailableException> refusal;
        final @Nullable TrialQueue trials;
        final LongFunction<DbUnavailableException> waitedTooLong;
        volatile Instant openedAt;

        Tracked(CircuitBreaker breaker, Function<CircuitBreaker.State, DbUnavailableException> refusal, @Nullable TrialQueue trials,
                LongFunction<DbUnavailableException> waitedTooLong, Instant createdAt) {
            this.breaker = breaker;
            this.refusal = refusal;
            this.trials = trials;
            this.waitedTooLong = waitedTooLong;
            // A breaker that already existed in a passed-in registry may be OPEN: wait one interval.
            this.openedAt = createdAt;
        }
    }

    /** The read-only view of these breakers: states, metrics, transitions; nothing that changes them. */
    public BreakerView view() {
        EndpointBreakers breakers = this;
        return new BreakerView() {
            @Override
            public CircuitBreaker.State state(String endpoint) {
                return breakers.breaker(endpoint).getState();
            }

            @Override
            public boolean allowsCalls(String endpoint) {
                return breakers.allowsCalls(endpoint);
            }

            @Override
            public CircuitBreaker.Metrics metrics(String endpoint) {
                return breakers.breaker(endpoint).getMetrics();
            }

            @Override
            public Flux<BreakerTransition> transitions() {
                return breakers.transitions();
            }
        };
    }
}
