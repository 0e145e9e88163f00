package io.reactivedb.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcPermissionDeniedException;
import io.r2dbc.spi.R2dbcRollbackException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.pool.PoolStatistics;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FailureClassifierTest {

    private static DbQueryException query(String sqlState) {
        return new DbQueryException("[primary] " + sqlState, null, sqlState, "primary", false, null, null, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"08000", "08001", "08003", "08006", "57P01", "57P02", "57P03", "53300"})
    void connectionFailuresWhileAcquiringAreRetryableAndCountAgainstTheEndpoint(String state) {
        R2dbcNonTransientResourceException raw = new R2dbcNonTransientResourceException("lost", state);
        assertThat(FailureClassifier.classify(raw, Phase.ACQUIRE)).isEqualTo(Classification.RETRYABLE_CONNECTION);
        assertThat(FailureClassifier.classify(ErrorTranslator.translate(raw, "primary", Phase.ACQUIRE, true)))
                .isEqualTo(Classification.RETRYABLE_CONNECTION);
        assertThat(FailureClassifier.countsAgainstEndpoint(raw)).isTrue();
        assertThat(FailureClassifier.countsAgainstEndpoint(ErrorTranslator.translate(raw, "primary", Phase.ACQUIRE, true))).isTrue();
    }

    @Test
    void connectionRefusedIsRetryableEvenWithoutAPhase() {
        IOException refused = new IOException("connect failed", new ConnectException("Connection refused"));
        assertThat(FailureClassifier.classify(refused)).isEqualTo(Classification.RETRYABLE_CONNECTION);
        assertThat(FailureClassifier.countsAgainstEndpoint(refused)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"08001", "08004", "57P03", "53300"})
    void rawStatesThatOnlyOccurWhileConnectingAreRetryableWithoutAPhase(String state) {
        assertThat(FailureClassifier.classify(new R2dbcTransientResourceException("no", state))).isEqualTo(Classification.RETRYABLE_CONNECTION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"08006", "57P01"})
    void aRawLostConnectionWithoutAPhaseMayHaveCarriedAWrite(String state) {
        R2dbcNonTransientResourceException raw = new R2dbcNonTransientResourceException("lost", state);
        assertThat(FailureClassifier.classify(raw)).isEqualTo(Classification.OUTCOME_UNKNOWN);
        assertThat(FailureClassifier.classify(raw, Phase.EXECUTE)).isEqualTo(Classification.OUTCOME_UNKNOWN);
        assertThat(FailureClassifier.classify(raw, Phase.COMMIT)).isEqualTo(Classification.OUTCOME_UNKNOWN);
    }

    @Test
    void translatedConnectionLossFollowsTheTranslatorsVerdict() {
        R2dbcNonTransientResourceException raw = new R2dbcNonTransientResourceException("closed", "08006");
        assertThat(FailureClassifier.classify(ErrorTranslator.translate(raw, "replica-1", Phase.EXECUTE, false)))
                .isEqualTo(Classification.RETRYABLE_CONNECTION);
        DbOutcomeUnknownException unknown = (DbOutcomeUnknownException) ErrorTranslator.translate(raw, "primary", Phase.EXECUTE, true);
        assertThat(FailureClassifier.classify(unknown)).isEqualTo(Classification.OUTCOME_UNKNOWN);
        assertThat(FailureClassifier.countsAgainstEndpoint(unknown)).isTrue();
        DbOutcomeUnknownException noState = new DbOutcomeUnknownException("[primary] lost", new IOException("reset"), null, "primary");
        assertThat(FailureClassifier.countsAgainstEndpoint(noState)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"40001", "40P01"})
    void serializationConflictsAreRetryableTransactionsAndDoNotCount(String state) {
        R2dbcRollbackException raw = new R2dbcRollbackException("could not serialize access", state);
        assertThat(FailureClassifier.classify(raw)).isEqualTo(Classification.RETRYABLE_TRANSACTION);
        assertThat(FailureClassifier.classify(raw, Phase.COMMIT)).isEqualTo(Classification.RETRYABLE_TRANSACTION);
        assertThat(FailureClassifier.classify(ErrorTranslator.translate(raw, "primary", Phase.EXECUTE, true)))
                .isEqualTo(Classification.RETRYABLE_TRANSACTION);
        assertThat(FailureClassifier.countsAgainstEndpoint(raw)).isFalse();
        assertThat(FailureClassifier.countsAgainstEndpoint(ErrorTranslator.translate(raw, "primary", Phase.EXECUTE, true))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "23503", "23502", "42601", "42P01", "42501", "22P02", "22012", "25006", "57014", "XX000"})
    void statementErrorsAreNotRetryableAndDoNotCount(String state) {
        assertThat(FailureClassifier.classify(query(state))).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(query(state))).isFalse();
        R2dbcBadGrammarException raw = new R2dbcBadGrammarException("bad", state);
        assertThat(FailureClassifier.classify(raw)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.classify(raw, Phase.EXECUTE)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(raw)).isFalse();
    }

    @Test
    void uniqueViolationFromTheTranslatorIsNotRetryable() {
        var e = ErrorTranslator.translate(new R2dbcDataIntegrityViolationException("duplicate key", "23505"), "primary", Phase.EXECUTE, true);
        assertThat(FailureClassifier.classify(e)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(e)).isFalse();
    }

    @Test
    void authenticationFailureIsNotRetryableAndDoesNotCount() {
        var e = ErrorTranslator.translate(new R2dbcPermissionDeniedException("password authentication failed", "28P01"),
                "primary", Phase.ACQUIRE, true);
        assertThat(e).isInstanceOf(DbConnectionException.class);
        assertThat(FailureClassifier.classify(e)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(e)).isFalse();
    }

    @Test
    void poolExhaustionIsRetrySafeButNotRetriedAndSaysNothingAboutTheServer() {
        // The caller has waited the whole acquire timeout already: another try would wait it again.
        var e = new DbPoolExhaustedException("[primary] no connection", null, "primary", new PoolStatistics(10, 0, 5, 10, 10, 1));
        assertThat(e.isRetrySafe()).isTrue();
        assertThat(FailureClassifier.classify(e)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.classify(e, Phase.ACQUIRE)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.isRetryable(e)).isFalse();
        assertThat(FailureClassifier.countsAgainstEndpoint(e)).isFalse();
    }

    @Test
    void unavailableAndCallerErrorsAreNotRetryableAndDoNotCount() {
        var unavailable = new DbUnavailableException("[primary] circuit breaker is open", "primary");
        assertThat(FailureClassifier.classify(unavailable)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(unavailable)).isFalse();
        var caller = new IllegalStateException("order 42 not found");
        assertThat(FailureClassifier.classify(caller)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.classify(caller, Phase.EXECUTE)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(caller)).isFalse();
    }

    @Test
    void timeoutsCountAgainstTheEndpoint() {
        assertThat(FailureClassifier.countsAgainstEndpoint(new TimeoutException("Did not observe any item within 5000ms"))).isTrue();
        assertThat(FailureClassifier.countsAgainstEndpoint(
                new DbConnectionException("[primary] connect timed out", null, null, "primary", true))).isTrue();
    }

    @Test
    void aPoolerMismatchIsConfigurationNotTheEndpointsHealth() {
        ReactiveDbException mismatch = ErrorTranslator.translate(new R2dbcNonTransientResourceException(
                "bind message supplies 2 parameters, but prepared statement \"S_1\" requires 1", "08P01"), "primary", Phase.EXECUTE, false);
        assertThat(mismatch).isInstanceOf(DbPoolerException.class);
        assertThat(FailureClassifier.countsAgainstEndpoint(mismatch)).isFalse();
        assertThat(FailureClassifier.classify(mismatch)).isEqualTo(Classification.NOT_RETRYABLE);
    }
}
