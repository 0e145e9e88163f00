package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionStateGuardTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "SET statement_timeout = 0",
            "  set search_path to other",
            "RESET ALL",
            "LISTEN events",
            "PREPARE p AS SELECT 1",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
            "CREATE TEMP TABLE t (id int)",
            "create temporary table t (id int)",
            "SELECT set_config('statement_timeout', '0', false)",
            "SELECT pg_advisory_lock(42)",
            "select PG_TRY_ADVISORY_LOCK(1)",
            "DISCARD ALL",
            "LOAD 'auto_explain'"})
    void noticesStatementsThatLeaveSessionState(String sql) {
        assertThat(ConnectionStateGuard.changesSessionState(sql)).isTrue();
        assertThat(ConnectionStateGuard.needsSession(sql)).as("refused behind a transaction pooler").isEqualTo(!sql.contains("set_config"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT set_config('app.tenant', $1, true)", "select set_config($1, $2, $3)"})
    void setConfigDiscardsTheConnectionButIsNotRefusedBehindATransactionPooler(String sql) {
        // Usually transaction-local (is_local true, often a bound value): it cannot be told apart here.
        assertThat(ConnectionStateGuard.changesSessionState(sql)).isTrue();
        assertThat(ConnectionStateGuard.needsSession(sql)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "SELECT 1",
            "SET LOCAL statement_timeout = 100",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "set constraints all deferred",
            "UPDATE settings SET value = $1 WHERE id = $2",
            "SELECT pg_advisory_xact_lock(7)",
            "INSERT INTO reset_log VALUES ($1)",
            "SELECT offset_value FROM t",
            "DECLARE c CURSOR FOR SELECT 1"})
    void letsOrdinaryStatementsThrough(String sql) {
        assertThat(ConnectionStateGuard.changesSessionState(sql)).isFalse();
        assertThat(ConnectionStateGuard.needsSession(sql)).isFalse();
    }
}
