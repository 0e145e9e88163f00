package io.reactivedb.resilience;

import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.ReactiveDbException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Told about every retry {@link RetryOperator} schedules, before the delay starts; for a metric or a
 * log line. Called on the thread that delivered the error; it must not block and should not throw
 * (an exception it throws fails the operation instead of retrying).
 */
@FunctionalInterface
public interface RetryListener {

    /** The logger {@link #logging()} writes to. */
    String LOGGER = "io.reactivedb.retry";

    /**
     * @param attempt        the number of the attempt about to start: 2 for the first retry
     * @param maxAttempts    {@link RetrySettings#maxAttempts()}
     * @param classification what {@link FailureClassifier} made of the error
     * @param error          the failure of the previous attempt
     * @param delay          how long the retry waits before it resubscribes
     */
    void onRetry(int attempt, int maxAttempts, Classification classification, Throwable error, Duration delay);

    /** A listener that does nothing. */
    static RetryListener none() {
        return (attempt, maxAttempts, classification, error, delay) -> { };
    }

    /**
     * A listener that logs each retry at DEBUG on logger {@value #LOGGER},
     * for example {@code retry 2/3 after 200 ms: RETRYABLE_CONNECTION [primary] connection lost while
     * the work ran: …}. The message of a {@link ReactiveDbException} is logged (those never hold bound
     * values); of any other error only its type and SQLSTATE, since a raw driver message may quote a
     * value.
     */
    static RetryListener logging() {
        Logger log = LoggerFactory.getLogger(LOGGER);
        return (attempt, maxAttempts, classification, error, delay) -> {
            if (log.isDebugEnabled()) {
                log.debug("retry {}/{} after {} ms: {} {}", attempt, maxAttempts, delay.toMillis(), classification, describe(error));
            }
        };
    }

    /** This listener, then {@code next}. */
    default RetryListener andThen(RetryListener next) {
        Objects.requireNonNull(next, "next");
        return (attempt, maxAttempts, classification, error, delay) -> {
            onRetry(attempt, maxAttempts, classification, error, delay);
            next.onRetry(attempt, maxAttempts, classification, error, delay);
        };
    }

    /** A description of {@code error} that is safe to log: no bound values. */
    static String describe(Throwable error) {
        if (error instanceof ReactiveDbException known) {
            return String.valueOf(known.getMessage());
        }
        @Nullable String sqlState = ErrorTranslator.sqlStateOf(error);
        return error.getClass().getName() + (sqlState == null ? "" : " (SQLSTATE " + sqlState + ")");
    }
}
