package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.testing.Await;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Requests to the demo, each a server observation of Spring WebFlux: every statement they run, on
 * the router's API ({@code /api/database/ping}: a read and a write) and through Spring Data
 * ({@code /api/data/accounts/{id}}), is an observation nested in its request's (the parent is Spring
 * Security's observation of the secured request, itself inside the request's).
 */
class StatementTracingIT extends WebIT {

    private static final int REQUESTS = 200;

    @Autowired
    StatementSpans spans;

    @Test
    void everyStatementOfARequestIsNestedInItsRequest() {
        spans.start();
        try {
            for (int i = 0; i < REQUESTS; i++) {
                if (i % 2 == 0) {
                    client.get().uri("/api/database/ping").exchange().expectStatus().isOk();
                } else {
                    client.get().uri("/api/data/accounts/987654321").exchange().expectStatus().isNotFound();
                }
            }
            Await.until("every request's observation ended", WAIT, () -> spans.requests().size() >= REQUESTS);
        } finally {
            spans.stop();
        }
        Map<Object, Integer> byParent = spans.statementsByParent();
        assertThat(spans.orphans()).isZero();
        assertThat(byParent).hasSize(REQUESTS);
        assertThat(spans.requests()).containsAll(byParent.keySet());
        assertThat(byParent.values().stream().filter(count -> count == 2)).hasSize(REQUESTS / 2);
        assertThat(byParent.values().stream().filter(count -> count == 1)).hasSize(REQUESTS / 2);
    }
}
