package io.reactivedb.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlOperationTest {

    @Test
    void theFirstKeywordInUpperCase() {
        assertThat(SqlOperation.of("SELECT 1")).isEqualTo("SELECT");
        assertThat(SqlOperation.of("select * from accounts where id = $1")).isEqualTo("SELECT");
        assertThat(SqlOperation.of("  \n\tinsert into t values ($1)")).isEqualTo("INSERT");
        assertThat(SqlOperation.of("-- a comment\nUPDATE t SET a = 1")).isEqualTo("UPDATE");
        assertThat(SqlOperation.of("/* outer /* nested */ still */ delete from t")).isEqualTo("DELETE");
        assertThat(SqlOperation.of("/*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ SELECT 1")).isEqualTo("SELECT");
        assertThat(SqlOperation.of("(SELECT 1) UNION (SELECT 2)")).isEqualTo("SELECT");
        assertThat(SqlOperation.of("WITH x AS (SELECT 1) SELECT * FROM x")).isEqualTo("WITH");
        assertThat(SqlOperation.of("Begin")).isEqualTo("BEGIN");
        assertThat(SqlOperation.of("SELECT;")).isEqualTo("SELECT");
        assertThat(SqlOperation.of("select(1)")).isEqualTo("SELECT");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''", "'   '", "'-- only a comment'", "'/* unclosed'", "'1 + 1'", "'$1'", "'selectx1 from t'",
            "'\"quoted\" identifier'", "'averyveryveryveryveryverylongkeywordthatisnotone'",
    })
    void nothingReadableIsUnknown(String sql) {
        assertThat(SqlOperation.of(sql)).isEqualTo(SqlOperation.UNKNOWN);
    }

    @Test
    void noLiteralOfTheStatementEverReachesTheName() {
        assertThat(SqlOperation.of("'secret-canary' SELECT")).isEqualTo(SqlOperation.UNKNOWN);
        assertThat(SqlOperation.of("SELECT 'secret-canary'")).isEqualTo("SELECT");
    }

    @Test
    void aBatchIsNamedByItsSharedKeyword() {
        assertThat(SqlOperation.ofBatch(List.of("INSERT INTO a VALUES (1)", "insert into b values (2)"))).isEqualTo("BATCH INSERT");
        assertThat(SqlOperation.ofBatch(List.of("INSERT INTO a VALUES (1)", "DELETE FROM b"))).isEqualTo("BATCH");
        assertThat(SqlOperation.ofBatch(List.of("1", "2"))).isEqualTo("BATCH");
        assertThat(SqlOperation.ofBatch(List.of())).isEqualTo("BATCH");
    }
}
