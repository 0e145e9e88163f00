package io.reactivedb.routing;

import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.resilience.Classification;
import io.reactivedb.resilience.RetryListener;
import io.reactivedb.resilience.SlowQueryLog;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * What the router tells about its work: the {@link QueryListener}s (every unit and every loan,
 * retry, failover, the shutdown), the slow-query log and the retry log. A listener that throws is logged and never
 * breaks the unit.
 */
final class Observation {

    private static final Logger log = LoggerFactory.getLogger(Observation.class);
    private static final RetryListener RETRY_LOG = RetryListener.logging();

    private final List<QueryListener> listeners;
    private final @Nullable SlowQueryLog slowQueries;
    private final Scheduler scheduler;

    Observation(List<QueryListener> listeners, @Nullable SlowQueryLog slowQueries, Scheduler scheduler) {
        this.listeners = List.copyOf(listeners);
        this.slowQueries = slowQueries;
        this.scheduler = scheduler;
    }

    Optional<SlowQueryLog> slowQueries() {
        return Optional.ofNullable(slowQueries);
    }

    /**
     * Times the unit from subscription to termination: the listeners get every duration, the
     * slow-query log the ones over its threshold (with the SQL text of the last statement, never
     * its values). With neither configured it only keeps the in-flight and answered counts.
     */
    <T> Flux<T> observed(Flux<T> unit, Endpoint endpoint, String operation, Supplier<String> lastSql) {
        // Counted from subscription: a breaker that refuses the call never subscribes here, so
        // nothing is counted that would not be uncounted.
        if (listeners.isEmpty() && slowQueries == null) {
            return new Observed<>(unit, endpoint.inFlightCounter(), endpoint.answeredCounter(), null);
        }
        long started = System.nanoTime();
        return new Observed<>(unit, endpoint.inFlightCounter(), endpoint.answeredCounter(), (signal, error) -> {
            String outcome = switch (signal) {
                case ON_COMPLETE -> "success";
                case CANCEL -> "cancelled";
                default -> error == null ? "client" : outcomeOf(error);
            };
            report(endpoint, operation, lastSql, System.nanoTime() - started, outcome);
        });
    }

    /**
     * Starts timing a loan ({@link ConnectionLoan}) as a unit of work: called when its acquire
     * is subscribed, inside the breaker (as for {@link #observed}, a refused loan is not counted).
     * The listeners and the slow-query log get it as they get a unit, once, when
     * {@link LoanEnding#ended} is first called: at the start of the release, or when the acquire
     * fails or is cancelled.
     */
    LoanEnding loan(Endpoint endpoint, String operation, Supplier<String> lastSql) {
        if (listeners.isEmpty() && slowQueries == null) {
            return LoanEnding.NONE;
        }
        long started = System.nanoTime();
        AtomicBoolean ended = new AtomicBoolean();
        return outcome -> {
            if (ended.compareAndSet(false, true)) {
                try {
                    report(endpoint, operation, lastSql, System.nanoTime() - started, outcome);
                } catch (RuntimeException e) {
                    // On the release path: a failing slow-query log must not keep the connection.
                    log.warn("Reporting a loan failed", e);
                }
            }
        };
    }

    /** How a loan ended, by its {@code outcome} tag ({@link QueryListener#onWork}); later calls do nothing. */
    @FunctionalInterface
    interface LoanEnding {
        LoanEnding NONE = outcome -> { };

        void ended(String outcome);
    }

    private void report(Endpoint endpoint, String operation, Supplier<String> lastSql, long nanos, String outcome) {
        recordIfSlow(endpoint, operation, lastSql, nanos, outcome);
        tell(listener -> listener.onWork(endpoint, operation, outcome, nanos));
    }

    private void recordIfSlow(Endpoint endpoint, String operation, Supplier<String> lastSql, long nanos, String outcome) {
        if (slowQueries != null && nanos >= slowQueries.threshold().toNanos()) {
            slowQueries.record(Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS)), endpoint.name(), operation,
                    lastSql.get(), Duration.ofNanos(nanos), outcome);
        }
    }

    void onRetry(int attempt, int maxAttempts, Classification classification, Throwable error, Duration delay) {
        RETRY_LOG.onRetry(attempt, maxAttempts, classification, error, delay);
        String kind = classification.name().toLowerCase(Locale.ROOT);
        tell(listener -> listener.onRetry(kind));
    }

    void onFailover(Optional<String> from, String to, long nanos) {
        tell(listener -> listener.onFailover(from, to, nanos));
    }

    void onShutdown() {
        listeners.forEach(QueryListener::onShutdown);
    }

    private void tell(Consumer<QueryListener> event) {
        for (QueryListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                log.warn("A query listener failed", e);
            }
        }
    }

    /** The {@code outcome} tag of a unit that failed with {@code error}. */
    static String outcomeOf(Throwable error) {
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
}
