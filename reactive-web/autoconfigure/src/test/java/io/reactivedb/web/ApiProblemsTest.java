package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.error.DbQueryException;
import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** How server errors become problem details: the status, and nothing of the server's text. */
class ApiProblemsTest {

    private final ApiProblems problems = new ApiProblems();

    private static DbQueryException refused(String sqlState) {
        return new DbQueryException("server said: value 'secret-value' is bad", null, sqlState, "primary", false, null, "account",
                "Key (owner)=(secret-value)");
    }

    @Test
    void aDataExceptionIsTheClientsFault400WithoutTheServersText() {
        ResponseEntity<ProblemDetail> response = problems.query(refused("22P02"));
        assertThat(response.getStatusCode().value()).isEqualTo(400);
        ProblemDetail body = response.getBody();
        assertThat(body.getTitle()).isEqualTo("Invalid value");
        assertThat(body.getType().toString()).isEqualTo("https://reactive-db.io/problems/invalid-value");
        assertThat(body.getProperties()).containsEntry("sqlState", "22P02");
        assertThat(body.getDetail()).doesNotContain("secret-value");
    }

    @Test
    void otherRefusalsStay500() {
        assertThat(problems.query(refused("42P01")).getStatusCode().value()).isEqualTo(500);
        assertThat(problems.query(refused("23505")).getStatusCode().value()).isEqualTo(409);
    }
}
