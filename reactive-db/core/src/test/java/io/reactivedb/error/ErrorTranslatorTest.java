package io.reactivedb.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcRollbackException;
import io.r2dbc.spi.R2dbcBadGrammarException;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ErrorTranslatorTest {

    @Test
    void connectFailureBeforeSendingIsRetrySafe() {
        ReactiveDbException e = ErrorTranslator.translate(new ConnectException("Connection refused"), "replica-1", Phase.ACQUIRE, true);
        assertThat(e).isInstanceOf(DbConnectionException.class);
        assertThat(e.isRetrySafe()).isTrue();
        assertThat(e.endpoint()).contains("replica-1");
        assertThat(e.getMessage()).contains("replica-1").contains("Connection refused");
    }

    @Test
    void connectionLostAfterAWriteWasSentIsOutcomeUnknown() {
        Throwable lost = new R2dbcNonTransientResourceException("Connection closed", "08006");
        ReactiveDbException e = ErrorTranslator.translate(lost, "primary", Phase.EXECUTE, true);
        assertThat(e).isInstanceOf(DbOutcomeUnknownException.class);
        assertThat(e.isRetrySafe()).isFalse();
        assertThat(e.sqlState()).contains("08006");
    }

    @Test
    void connectionLostDuringAReadIsRetrySafe() {
        Throwable lost = new R2dbcNonTransientResourceException("terminating connection due to administrator command", "57P01");
        ReactiveDbException e = ErrorTranslator.translate(lost, "replica-2", Phase.EXECUTE, false);
        assertThat(e).isExactlyInstanceOf(DbConnectionException.class);
        assertThat(e.isRetrySafe()).isTrue();
    }

    @Test
    void connectionLostDuringCommitIsOutcomeUnknownEvenForTransactions() {
        ReactiveDbException e = ErrorTranslator.translate(new R2dbcNonTransientResourceException("closed", "08003"), "primary", Phase.COMMIT, false);
        assertThat(e).isInstanceOf(DbOutcomeUnknownException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"40001", "40P01"})
    void serializationFailuresAndDeadlocksAreRetrySafeTransactionErrors(String state) {
        ReactiveDbException e = ErrorTranslator.translate(new R2dbcRollbackException("could not serialize access", state), "primary", Phase.EXECUTE, true);
        assertThat(e).isInstanceOf(DbTransactionException.class);
        assertThat(((DbTransactionException) e).isSerializationConflict()).isTrue();
        assertThat(e.isRetrySafe()).isTrue();
    }

    @Test
    void integrityViolationIsNeverRetrySafe() {
        ReactiveDbException e = ErrorTranslator.translate(
                new R2dbcDataIntegrityViolationException("duplicate key value violates unique constraint \"t_pkey\"", "23505"),
                "primary", Phase.EXECUTE, true);
        assertThat(e).isInstanceOf(DbQueryException.class);
        assertThat(((DbQueryException) e).isIntegrityViolation()).isTrue();
        assertThat(e.isRetrySafe()).isFalse();
    }

    @Test
    void dataErrorsDoNotEchoTheOffendingValue() {
        ReactiveDbException e = ErrorTranslator.translate(
                new R2dbcBadGrammarException("invalid input syntax for type integer: \"my-secret-value\"", "22P02"),
                "primary", Phase.EXECUTE, false);
        assertThat(e.getMessage()).doesNotContain("my-secret-value").contains("22P02");
    }

    @Test
    void an08P01WithoutTheServersErrorResponseIsStillTreatedAsALostConnection() {
        // Only an ErrorResponse (with its severity) says the server refused a message; see ProtocolErrorIT.
        Throwable driverMade = new R2dbcNonTransientResourceException("protocol out of step", "08P01");
        assertThat(ErrorTranslator.isProtocolViolation(driverMade)).isFalse();
        assertThat(ErrorTranslator.translate(driverMade, "primary", Phase.EXECUTE, true)).isInstanceOf(DbOutcomeUnknownException.class);
    }

    @Test
    void classifiesOnTheRootCauseNotTheWrapper() {
        Throwable wrapped = new IllegalStateException("wrapper", new R2dbcNonTransientResourceException("closed", "08006"));
        assertThat(ErrorTranslator.isConnectionFailure(wrapped)).isTrue();
        assertThat(ErrorTranslator.sqlStateOf(wrapped)).isEqualTo("08006");
    }

    @Test
    void alreadyTranslatedErrorsPassThrough() {
        DbUnavailableException unavailable = new DbUnavailableException("none", null);
        assertThat(ErrorTranslator.translate(unavailable, "primary", Phase.EXECUTE, true)).isSameAs(unavailable);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "42P05|prepared statement \"S_3\" already exists",
            "26000|prepared statement \"S_12\" does not exist",
            "08P01|bind message supplies 2 parameters, but prepared statement \"S_1\" requires 1"})
    void theDriversNamedStatementsMeetingOtherSessionsAreAPoolerMismatch(String stateAndMessage) {
        String[] parts = stateAndMessage.split("\\|", 2);
        ReactiveDbException e = ErrorTranslator.translate(new R2dbcNonTransientResourceException(parts[1], parts[0]), "primary",
                Phase.EXECUTE, false);
        assertThat(e).isInstanceOf(DbPoolerException.class);
        assertThat(((DbPoolerException) e).reason()).isEqualTo(DbPoolerException.Reason.STATEMENT_MISMATCH);
        assertThat(e.isRetrySafe()).isFalse();
        assertThat(e.sqlState()).contains(parts[0]);
        assertThat(e.getMessage()).contains("[primary]").contains("DB_POOLER=pgbouncer-transaction").contains(parts[1]);
    }

    @Test
    void theApplicationsOwnPreparedStatementsAreOrdinaryQueryErrors() {
        ReactiveDbException e = ErrorTranslator.translate(new R2dbcBadGrammarException("prepared statement \"mine\" already exists", "42P05"),
                "primary", Phase.EXECUTE, false);
        assertThat(e).isExactlyInstanceOf(DbQueryException.class);
    }

    @Test
    void aPoolerRefusingAStartupParameterSaysWhichSettingToChange() {
        ReactiveDbException e = ErrorTranslator.translate(new R2dbcNonTransientResourceException("unsupported startup parameter: statement_timeout",
                "08P01"), "replica-1", Phase.ACQUIRE, false);
        assertThat(e).isInstanceOf(DbPoolerException.class);
        assertThat(((DbPoolerException) e).reason()).isEqualTo(DbPoolerException.Reason.STARTUP_PARAMETER_REFUSED);
        assertThat(e.getMessage()).contains("DB_POOLER=pgbouncer-session").contains("ignore_startup_parameters = extra_float_digits");
    }
}
