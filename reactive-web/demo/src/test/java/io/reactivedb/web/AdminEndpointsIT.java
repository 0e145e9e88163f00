package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.reactivedb.web.admin.AdminAudit;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/** The admin surface: authentication, the operations, audit lines, rate limit, CORS, redacted info. */
class AdminEndpointsIT extends WebIT {

    private final ListAppender<ILoggingEvent> audit = new ListAppender<>();

    @BeforeEach
    void captureAudit() {
        audit.start();
        ((Logger) LoggerFactory.getLogger(AdminAudit.LOGGER)).addAppender(audit);
    }

    @AfterEach
    void releaseAudit() {
        ((Logger) LoggerFactory.getLogger(AdminAudit.LOGGER)).detachAppender(audit);
        // Refill the rate limit for the next test.
        clock.advanceTimeBy(Duration.ofMinutes(1));
    }

    @Test
    void adminOperationsRefuseAnonymousAndWrongCredentials() {
        client.post().uri("/api/database/test?endpoint=primary").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().valueMatches(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"reactive-db\"");
        client.post().uri("/api/database/reconnect").exchange().expectStatus().isUnauthorized();
        client.post().uri("/api/database/test?endpoint=primary").headers(h -> h.setBasicAuth(ADMIN, "wrong")).exchange()
                .expectStatus().isUnauthorized();
        client.get().uri("/api/database/info").exchange().expectStatus().isUnauthorized();
        client.get().uri("/api/database/slow-queries").exchange().expectStatus().isUnauthorized();
        assertThat(auditLines()).anyMatch(line -> line.contains("user=anonymous") && line.contains("operation=test")
                && line.contains("outcome=refused:_401") && line.contains("client=127.0.0.1"));
    }

    @Test
    void testRunsTheFixedProbeOnTheNamedEndpointAndIsAudited() {
        for (String endpoint : new String[] {"primary", "replica-1", "replica-2"}) {
            client.post().uri("/api/database/test?endpoint=" + endpoint).headers(WebIT::admin).exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.endpoint").isEqualTo(endpoint)
                    .jsonPath("$.latencyMillis").value(v -> assertThat(((Number) v).doubleValue()).isPositive());
        }
        client.post().uri("/api/database/test?endpoint=replica-9").headers(WebIT::admin).exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        client.post().uri("/api/database/test").headers(WebIT::admin).exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.field").isEqualTo("endpoint");
        assertThat(auditLines()).anyMatch(line -> line.contains("user=admin") && line.contains("operation=test")
                && line.contains("target=replica-2") && line.contains("outcome=ok") && line.matches(".*at=\\d{4}-\\d\\d-\\d\\dT\\S+Z .*"));
        assertThat(auditLines()).anyMatch(line -> line.contains("target=replica-9") && line.contains("outcome=failed"));
    }

    @Test
    void reconnectRebuildsOneOrAllPoolsAndTrafficGoesOn() {
        client.post().uri("/api/database/reconnect?endpoint=replica-1").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.reconnected[0]").isEqualTo("replica-1");
        client.post().uri("/api/database/reconnect").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.reconnected.length()").isEqualTo(3);
        client.get().uri("/api/database/ping").exchange().expectStatus().isOk();
        assertThat(auditLines()).anyMatch(line -> line.contains("operation=reconnect") && line.contains("target=all") && line.contains("outcome=ok"));
    }

    @Test
    void adminOperationsAreRateLimitedPerClient() {
        int allowed = 0;
        HttpStatus refused = null;
        for (int i = 0; i < ADMIN_RATE_LIMIT + 5 && refused == null; i++) {
            var result = client.post().uri("/api/database/test?endpoint=primary").headers(WebIT::admin).exchange().returnResult(String.class);
            if (result.getStatus().value() == HttpStatus.TOO_MANY_REQUESTS.value()) {
                refused = HttpStatus.TOO_MANY_REQUESTS;
                assertThat(result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
            } else {
                assertThat(result.getStatus().value()).isEqualTo(200);
                allowed++;
            }
        }
        assertThat(refused).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(allowed).isPositive().isLessThanOrEqualTo(ADMIN_RATE_LIMIT);
        // Anonymous callers are limited too (the limit runs before authentication).
        client.post().uri("/api/database/test?endpoint=primary").exchange().expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(auditLines()).anyMatch(line -> line.contains("outcome=refused:_429"));

        clock.advanceTimeBy(Duration.ofMinutes(1));
        client.post().uri("/api/database/test?endpoint=primary").headers(WebIT::admin).exchange().expectStatus().isOk();
    }

    @Test
    void anEncodedOperationPathIsLimitedAndAuditedAsTheRouterDispatchesIt() {
        for (int i = 0; i <= ADMIN_RATE_LIMIT; i++) {
            String guess = "guess-" + i;
            client.post().uri("/api/database/test?endpoint=primary").headers(h -> h.setBasicAuth(ADMIN, guess)).exchange();
        }
        client.post().uri("/api/database/test?endpoint=primary").headers(h -> h.setBasicAuth(ADMIN, "guess")).exchange()
                .expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        audit.list.clear();
        // The router dispatches each of these to an operation: the limit and the audit must see the same.
        for (String path : new String[] {"/api/database/%74est", "/api/database/reconnec%74", "/api/database/test;x=1", "/api/%64atabase/test"}) {
            client.post().uri(URI.create("http://127.0.0.1:" + port + path + "?endpoint=primary")).headers(h -> h.setBasicAuth(ADMIN, "guess"))
                    .exchange().expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        }
        client.post().uri(URI.create("http://127.0.0.1:" + port + "/api/database/%74est?endpoint=primary")).headers(WebIT::admin)
                .exchange().expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
        assertThat(auditLines()).filteredOn(line -> line.contains("outcome=refused:_429"))
                .hasSize(5)
                .anyMatch(line -> line.contains("operation=reconnect"))
                .allMatch(line -> line.contains("operation=test") || line.contains("operation=reconnect"));
    }

    @Test
    void wrongPasswordsOnEveryAuthenticatedRouteAreLimitedPerClient() {
        for (String path : new String[] {"/api/database/info", "/actuator/prometheus"}) {
            int refusedAfter = -1;
            for (int i = 0; i < ADMIN_RATE_LIMIT + 5 && refusedAfter < 0; i++) {
                int status = client.get().uri(path).headers(h -> h.setBasicAuth(ADMIN, "wrong")).exchange().returnResult(String.class).getStatus().value();
                if (status == HttpStatus.TOO_MANY_REQUESTS.value()) {
                    refusedAfter = i;
                } else {
                    assertThat(status).isEqualTo(401);
                }
            }
            assertThat(refusedAfter).as("wrong passwords on " + path + " answered 429 within the limit").isBetween(1, ADMIN_RATE_LIMIT);
            // Once over the limit the right password is refused too, on every route, before it is checked.
            client.get().uri("/api/database/info").headers(WebIT::admin).exchange()
                    .expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS).expectHeader().exists(HttpHeaders.RETRY_AFTER);
            client.get().uri(URI.create("http://127.0.0.1:" + port + "/api/database/%69nfo")).headers(WebIT::admin).exchange()
                    .expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
            assertThat(auditLines()).anyMatch(line -> line.contains("operation=authenticate") && line.contains("outcome=refused:_429"));
            // Callers without credentials are not locked out of public routes.
            client.get().uri("/health/database").exchange().expectStatus().isOk();
            clock.advanceTimeBy(Duration.ofMinutes(1));
            client.get().uri(path).headers(WebIT::admin).exchange().expectStatus().isOk();
        }
        // Right passwords are not counted: more than the limit of them go through.
        for (int i = 0; i <= ADMIN_RATE_LIMIT; i++) {
            client.get().uri("/api/database/endpoints").headers(WebIT::admin).exchange().expectStatus().isOk();
        }
    }

    @Test
    void infoShowsTheSettingsInForceWithThePasswordRedacted() {
        client.get().uri("/api/database/info").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.embedded").isEqualTo(true)
                .jsonPath("$.production").isEqualTo(false)
                .jsonPath("$.primary.name").isEqualTo("primary")
                .jsonPath("$.primary.password").isEqualTo("******")
                .jsonPath("$.replicas.length()").isEqualTo(2)
                .jsonPath("$.pool.maxSize").isEqualTo(10)
                .jsonPath("$.slowQueryThreshold").isEqualTo("PT0.2S");
        String raw = client.get().uri("/api/database/info").headers(WebIT::admin).exchange()
                .expectBody(String.class).returnResult().getResponseBody();
        for (String secret : secrets()) {
            assertThat(raw).doesNotContain(secret);
        }
    }

    @Test
    void slowQueriesListsTheRecentSlowUnitsWithTheirSqlOnly() {
        // A unit slower than the test's 200 ms threshold, with a bound value that must not show.
        router.read(session -> session.query("SELECT pg_sleep(0.3), $1::text", row -> 1, "value-not-shown"))
                .contextWrite(io.reactivedb.routing.DbOperation.named("slow-it")).blockLast(WAIT);
        client.get().uri("/api/database/slow-queries").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.thresholdMillis").isEqualTo(200)
                .jsonPath("$.queries[?(@.operation == 'slow-it')].sql").value(sql -> assertThat(sql.toString()).contains("pg_sleep(0.3)"))
                .jsonPath("$.queries[?(@.operation == 'slow-it')].durationMillis").exists();
        String raw = client.get().uri("/api/database/slow-queries").headers(WebIT::admin).exchange()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(raw).contains("slow-it").doesNotContain("value-not-shown");
    }

    @Test
    void diagnosticsAnswerForANamedEndpointAndNeedTheAdmin() {
        client.get().uri("/api/database/diagnostics/sizes?endpoint=primary").exchange().expectStatus().isUnauthorized();
        client.get().uri("/api/database/diagnostics/sizes?endpoint=primary").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.endpoint").isEqualTo("primary")
                .jsonPath("$.database").isEqualTo(cluster().database())
                .jsonPath("$.databaseBytes").value(bytes -> assertThat(((Number) bytes).longValue()).isPositive())
                .jsonPath("$.largestTables[?(@.table == 'account')]").exists();
        client.get().uri("/api/database/diagnostics/replication?endpoint=replica-1").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.endpoint").isEqualTo("replica-1");
        client.get().uri("/api/database/diagnostics/locks?endpoint=primary").headers(WebIT::admin).exchange()
                .expectStatus().isOk();
        client.get().uri("/api/database/diagnostics/pool-advice?windowSeconds=1").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.length()").isEqualTo(3);

        client.get().uri("/api/database/diagnostics/no-such-thing").headers(WebIT::admin).exchange().expectStatus().isNotFound();
        client.get().uri("/api/database/diagnostics/sizes?endpoint=replica-9").headers(WebIT::admin).exchange()
                .expectStatus().isBadRequest()
                .expectBody(String.class).value(body -> assertThat(body).contains("endpoint").contains("replica-9"));
        client.get().uri("/api/database/diagnostics/pool-advice?windowSeconds=0").headers(WebIT::admin).exchange()
                .expectStatus().isBadRequest();
    }

    @Test
    void corsIsClosedByDefault() {
        client.options().uri("/api/accounts")
                .header(HttpHeaders.ORIGIN, "https://evil.example")
                .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .exchange()
                .expectStatus().isForbidden()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
        client.get().uri("/health/database").header(HttpHeaders.ORIGIN, "https://evil.example").exchange()
                .expectStatus().isForbidden()
                .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
    }

    private java.util.List<String> auditLines() {
        return audit.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
