package io.reactivedb.resilience;

import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import java.net.ConnectException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.Exceptions;

/**
 * The one classification of failures that drives both retries and circuit breakers.
 *
 * <p>{@link ReactiveDbException}s are classified by their type and
 * {@link ReactiveDbException#isRetrySafe() retry-safety}, which {@link ErrorTranslator} decided
 * knowing the phase. Raw driver, pool and network errors (not yet translated) carry no phase, so
 * {@link #classify(Throwable)} is conservative with them: a connection failure counts as
 * {@link Classification#RETRYABLE_CONNECTION} only when it can only have happened while connecting
 * ({@code 08001}, {@code 08004}, {@code 57P03}, {@code 53300}, connection refused); any other lost
 * connection may have carried a write and is {@link Classification#OUTCOME_UNKNOWN}. Callers that
 * know the phase use {@link #classify(Throwable, Phase)}.
 *
 * <p>{@link #countsAgainstEndpoint(Throwable)} says whether a failure tells something about the
 * endpoint's health. Only those failures open a circuit breaker; a burst of unique violations or
 * serialization conflicts on a healthy server must not take it out of rotation.
 */
public final class FailureClassifier {

    private static final Set<String> SERIALIZATION_STATES = Set.of("40001", "40P01");
    /** Raw SQLSTATEs that PostgreSQL only reports while a connection is being established. */
    private static final Set<String> CONNECT_ONLY_STATES = Set.of("08001", "08004", "57P03", "53300");

    private FailureClassifier() {
    }

    /**
     * Classifies {@code error}; see the class description for raw driver errors. Reactor's
     * {@code ReactiveException} wrapper (from {@code Exceptions.propagate}) is unwrapped first.
     *
     * <ul>
     *   <li>{@link DbOutcomeUnknownException}: {@link Classification#OUTCOME_UNKNOWN};</li>
     *   <li>{@link DbPoolExhaustedException}: {@link Classification#NOT_RETRYABLE}. It is retry-safe
     *       (nothing was sent), but the caller has waited the whole acquire timeout already, and
     *       another try would wait it again: the caller's wait for a connection is bounded by the
     *       acquire timeout, whatever the retry settings;</li>
     *   <li>any other {@link DbConnectionException} reported retry-safe:
     *       {@link Classification#RETRYABLE_CONNECTION}; not retry-safe (authentication, TLS):
     *       {@link Classification#NOT_RETRYABLE};</li>
     *   <li>{@link DbTransactionException} with {@code 40001} or {@code 40P01}:
     *       {@link Classification#RETRYABLE_TRANSACTION};</li>
     *   <li>{@link DbUnavailableException} (router shut down, breaker open, no endpoint):
     *       {@link Classification#NOT_RETRYABLE}; the router decides where work can go, a retry
     *       loop around it would only spin;</li>
     *   <li>everything else, including {@code 23xxx}, {@code 42xxx}, {@code 22xxx}, {@code 25006},
     *       {@code 57014} and the caller's own exceptions: {@link Classification#NOT_RETRYABLE}.</li>
     * </ul>
     */
    public static Classification classify(Throwable error) {
        Objects.requireNonNull(error, "error");
        Throwable e = Exceptions.unwrap(error);
        if (e instanceof ReactiveDbException known) {
            return classifyTranslated(known);
        }
        @Nullable String sqlState = ErrorTranslator.sqlStateOf(e);
        if (sqlState != null && SERIALIZATION_STATES.contains(sqlState)) {
            return Classification.RETRYABLE_TRANSACTION;
        }
        if (!ErrorTranslator.isConnectionFailure(e)) {
            return Classification.NOT_RETRYABLE;
        }
        if (sqlState != null ? CONNECT_ONLY_STATES.contains(sqlState) : hasCause(e, ConnectException.class)) {
            return Classification.RETRYABLE_CONNECTION;
        }
        return Classification.OUTCOME_UNKNOWN;
    }

    /**
     * Classifies {@code error} raised during {@code phase}. A raw error is first translated as work
     * that may have written (the safe assumption); so a connection failure during
     * {@link Phase#ACQUIRE} is {@link Classification#RETRYABLE_CONNECTION}, during
     * {@link Phase#EXECUTE} or {@link Phase#COMMIT} {@link Classification#OUTCOME_UNKNOWN}.
     * {@link ReactiveDbException}s keep their own classification.
     */
    public static Classification classify(Throwable error, Phase phase) {
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(phase, "phase");
        Throwable e = Exceptions.unwrap(error);
        if (e instanceof ReactiveDbException known) {
            return classifyTranslated(known);
        }
        if (!ErrorTranslator.isConnectionFailure(e)) {
            // Statement errors and set-up errors (authentication, TLS) mean the same in every phase.
            return classify(e);
        }
        return classifyTranslated(ErrorTranslator.translate(e, "endpoint", phase, true));
    }

    /** Whether {@link #classify(Throwable)} allows an automatic retry: the default retry predicate. */
    public static boolean isRetryable(Throwable error) {
        return classify(error).isRetryable();
    }

    /**
     * Whether {@code error} says something about the endpoint's health, so that a circuit breaker
     * should record it as a failure:
     *
     * <ul>
     *   <li>true for connection failures and lost connections ({@code 08xxx}, connection refused or
     *       reset, other I/O errors, driver resource errors), timeouts
     *       ({@link java.util.concurrent.TimeoutException}), server shutdown or start-up
     *       ({@code 57Pxx}), insufficient resources ({@code 53xxx}, including {@code 53300} too
     *       many connections), system errors ({@code 58xxx}), and
     *       {@link DbOutcomeUnknownException}s caused by one of these;</li>
     *   <li>false for statement and data errors ({@code 23xxx}, {@code 42xxx}, {@code 22xxx}),
     *       serialization conflicts ({@code 40001}, {@code 40P01}), statement timeouts
     *       ({@code 57014}: the query was slow, which the breaker's slow-call rate measures),
     *       authentication and other set-up errors with a SQLSTATE ({@code 28xxx}, {@code 3D000}),
     *       protocol violations the server reported ({@code 08P01}: the client's message was wrong),
     *       {@link DbPoolExhaustedException} (the local pool is full, which says nothing about the
     *       server), {@link DbUnavailableException}, {@link DbPoolerException} (a pooler that
     *       {@code DB_POOLER} does not match: configuration, not health), and the caller's own exceptions.</li>
     * </ul>
     */
    public static boolean countsAgainstEndpoint(Throwable error) {
        Objects.requireNonNull(error, "error");
        Throwable e = Exceptions.unwrap(error);
        if (e instanceof DbPoolExhaustedException || e instanceof DbUnavailableException || e instanceof DbPoolerException
                || ErrorTranslator.isProtocolViolation(e)) {
            return false;
        }
        @Nullable String sqlState = e instanceof ReactiveDbException known
                ? known.sqlState().orElseGet(() -> ErrorTranslator.sqlStateOf(e))
                : ErrorTranslator.sqlStateOf(e);
        if (sqlState != null) {
            return sqlState.startsWith("08") || sqlState.startsWith("57P") || sqlState.startsWith("53") || sqlState.startsWith("58");
        }
        if (e instanceof ReactiveDbException) {
            // Without a SQLSTATE the translator reports a broken or unreachable connection as a
            // connection or outcome-unknown exception; query and transaction errors are not that.
            return e instanceof DbConnectionException || e instanceof DbOutcomeUnknownException;
        }
        return ErrorTranslator.isConnectionFailure(e);
    }

    private static Classification classifyTranslated(ReactiveDbException e) {
        if (e instanceof DbOutcomeUnknownException) {
            return Classification.OUTCOME_UNKNOWN;
        }
        if (e instanceof DbPoolExhaustedException) {
            return Classification.NOT_RETRYABLE;
        }
        if (e instanceof DbConnectionException) {
            return e.isRetrySafe() ? Classification.RETRYABLE_CONNECTION : Classification.NOT_RETRYABLE;
        }
        if (e instanceof DbTransactionException tx && tx.isSerializationConflict()) {
            return Classification.RETRYABLE_TRANSACTION;
        }
        return Classification.NOT_RETRYABLE;
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
