package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.devservices.DevNode;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.testing.Await;
import io.reactivedb.web.demo.Account;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/** {@code /health/database}, its stream, Actuator health groups and the Prometheus scrape. */
class HealthEndpointsIT extends WebIT {


    @Test
    void anonymousCallersSeeTheStatusOnly() {
        String body = client.get().uri("/health/database").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body).contains("\"status\":\"HEALTHY\"").doesNotContain("endpoints", "replica-1", "queries", "migrations");
    }

    @Test
    void authenticatedCallersSeeEveryEndpointTheQueryCountersAndTheMigrationStatus() {
        // Some traffic first, so the counters have something to count.
        for (int i = 0; i < 5; i++) {
            client.get().uri("/api/database/ping").exchange().expectStatus().isOk();
        }
        client.get().uri("/health/database").headers(WebIT::admin).exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("HEALTHY")
                .jsonPath("$.writer").isEqualTo("primary")
                .jsonPath("$.endpoints.length()").isEqualTo(3)
                .jsonPath("$.endpoints[0].name").isEqualTo("primary")
                .jsonPath("$.endpoints[0].observedRole").isEqualTo("primary")
                .jsonPath("$.endpoints[0].serverVersion").value(v -> assertThat((String) v).isNotBlank())
                .jsonPath("$.endpoints[0].latencyMillis").value(v -> assertThat(((Number) v).doubleValue()).isPositive())
                .jsonPath("$.endpoints[0].breaker").isEqualTo("CLOSED")
                .jsonPath("$.endpoints[0].pool.max").isEqualTo(10)
                .jsonPath("$.endpoints[1].observedRole").isEqualTo("replica")
                .jsonPath("$.endpoints[1].lagBytes").exists()
                .jsonPath("$.endpoints[1].lagMillis").exists()
                .jsonPath("$.queries.total").value(v -> assertThat(((Number) v).longValue()).isGreaterThanOrEqualTo(10))
                .jsonPath("$.queries.failed").exists()
                .jsonPath("$.queries.slow").exists()
                .jsonPath("$.queries.meanMillis").value(v -> assertThat(((Number) v).doubleValue()).isPositive())
                .jsonPath("$.queries.p99Millis").value(v -> assertThat(((Number) v).doubleValue()).isPositive())
                .jsonPath("$.migrations.upToDate").isEqualTo(true)
                .jsonPath("$.migrations.currentVersion").isNotEmpty();
    }

    @Test
    void actuatorHealthAndItsReadinessGroupIncludeTheRouter() {
        client.get().uri("/actuator/health").exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("UP");
        client.get().uri("/actuator/health/readiness").headers(WebIT::admin).exchange().expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("UP")
                .jsonPath("$.components.reactiveDb.status").isEqualTo("UP")
                .jsonPath("$.components.reactiveDb.details.status").isEqualTo("HEALTHY")
                .jsonPath("$.components.reactiveDb.details.writer").isEqualTo("primary");
    }

    @Test
    void prometheusShowsTheLibraryMetersToTheAdminAndToAnonymousLoopbackScrapesOutsideProduction() {
        client.get().uri("/api/database/ping").exchange().expectStatus().isOk();
        String scrape = client.get().uri("/actuator/prometheus").headers(WebIT::admin).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(scrape).contains("reactivedb_query_seconds_count{", "reactivedb_pool_max", "reactivedb_endpoint_up",
                "reactivedb_health_status", "reactivedb_breaker_open", "reactivedb_replica_lag_bytes", "reactivedb_query_slow_total");
        assertThat(scrape).contains("endpoint=\"replica-1\"");
        // The embedded database is not production mode: a Prometheus on this host scrapes without credentials.
        String anonymous = client.get().uri("/actuator/prometheus").exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
        assertThat(anonymous).contains("reactivedb_endpoint_up");
        // Only the scrape: the other read endpoints still need the admin from loopback too.
        client.get().uri("/api/database/info").exchange().expectStatus().isUnauthorized();
        // From an address of this host that is not loopback, the scrape needs credentials.
        Optional<InetAddress> external = nonLoopbackAddress();
        Assumptions.assumeTrue(external.isPresent(), "this host has no non-loopback IPv4 address to connect from");
        WebTestClient remote = WebTestClient.bindToServer().baseUrl("http://" + external.get().getHostAddress() + ":" + port)
                .responseTimeout(WAIT).build();
        remote.get().uri("/actuator/prometheus").exchange().expectStatus().isUnauthorized();
        remote.get().uri("/actuator/prometheus").headers(WebIT::admin).exchange().expectStatus().isOk();
    }

    private static Optional<InetAddress> nonLoopbackAddress() {
        try {
            return NetworkInterface.networkInterfaces().filter(nic -> {
                        try {
                            return nic.isUp() && !nic.isLoopback();
                        } catch (SocketException e) {
                            return false;
                        }
                    })
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress())
                    .findFirst();
        } catch (SocketException e) {
            return Optional.empty();
        }
    }

    /**
     * The service's own scrape: every {@code reactivedb_*} family described, the retries counter
     * there before any retry can have happened, lag for replicas only, and Spring Data's work
     * ({@code /api/data/accounts}, through {@code RouterConnectionFactory}) in the query timer.
     */
    @Test
    void prometheusDescribesEveryFamilyAndTimesSpringDataWork() {
        String before = scrape();
        assertThat(before).containsPattern("(?m)^reactivedb_retries_total\\{[^}]*classification=\"retryable_connection\"[^}]*} ");
        assertThat(before).containsPattern("(?m)^reactivedb_retries_total\\{[^}]*classification=\"retryable_transaction\"[^}]*} ");
        List<String> families = Pattern.compile("(?m)^# TYPE (reactivedb_\\S+) ").matcher(before).results().map(m -> m.group(1)).toList();
        assertThat(families).isNotEmpty();
        assertThat(families).as("families without a HELP text")
                .filteredOn(family -> !Pattern.compile("(?m)^# HELP " + Pattern.quote(family) + " \\S").matcher(before).find())
                .isEmpty();
        assertThat(before).containsPattern("(?m)^reactivedb_replica_lag_bytes\\{[^}]*endpoint=\"replica-1\"")
                .doesNotContainPattern("(?m)^reactivedb_replica_lag_(bytes|seconds)\\{[^}]*endpoint=\"primary\"");

        long writes = queries(before, "write");
        long reads = queries(before, "read");
        // @Transactional create on the writer, @Transactional(readOnly = true) find where reads go.
        Account account = client.post().uri("/api/data/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("owner", "metrics", "balance", 7)).exchange()
                .expectStatus().isCreated().expectBody(Account.class).returnResult().getResponseBody();
        assertThat(account).isNotNull();
        client.get().uri("/api/data/accounts/" + account.id()).exchange().expectStatus().isOk();

        String after = scrape();
        assertThat(queries(after, "write")).isGreaterThan(writes);
        assertThat(queries(after, "read")).isGreaterThan(reads);
    }

    private String scrape() {
        return client.get().uri("/actuator/prometheus").headers(WebIT::admin).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    }

    /** Successful units of {@code operation} in the query timer, over every endpoint. */
    private static long queries(String scrape, String operation) {
        return Pattern.compile("(?m)^reactivedb_query_seconds_count\\{([^}]*)} (\\S+)$").matcher(scrape).results()
                .filter(m -> m.group(1).contains("operation=\"" + operation + "\"") && m.group(1).contains("outcome=\"success\""))
                .mapToLong(m -> (long) Double.parseDouble(m.group(2)))
                .sum();
    }

    @Test
    void noHealthOrMetricsOutputContainsAPassword() {
        List<String> bodies = List.of(
                body("/health/database", true), body("/health/database", false), body("/actuator/health", true),
                body("/actuator/health/readiness", true), body("/actuator/prometheus", true), body("/api/database/info", true),
                body("/api/database/endpoints", true), body("/api/database/slow-queries", true));
        for (String body : bodies) {
            assertThat(body).isNotBlank();
            for (String secret : secrets()) {
                assertThat(body).doesNotContain(secret);
            }
        }
    }

    private String body(String path, boolean admin) {
        return client.get().uri(path).headers(h -> {
                    if (admin) {
                        admin(h);
                    }
                }).exchange().expectStatus().is2xxSuccessful()
                .expectBody(String.class).returnResult().getResponseBody();
    }

    /**
     * The stream: the snapshot first, then the replica's outage as an event. The replica is started
     * again before the test ends (the cluster is shared).
     */
    @Test
    void theStreamDeliversTheSnapshotThenAReplicaDownEvent() {
        Flux<ServerSentEvent<String>> stream = client.get().uri("/health/database/stream").headers(WebIT::admin)
                .accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .getResponseBody();
        List<ServerSentEvent<String>> received = new CopyOnWriteArrayList<>();
        Disposable subscription = stream.subscribe(received::add);
        DevNode replica = cluster().replicas().get(1);
        try {
            Await.until("the first event", WAIT, () -> !received.isEmpty());
            assertThat(received.get(0).event()).isEqualTo("snapshot");
            assertThat(received.get(0).data()).contains("\"status\":\"HEALTHY\"", "\"name\":\"replica-2\"");

            cluster().stop(replica);
            Await.until("an endpoint-down event of replica-2", WAIT, () -> received.stream()
                    .anyMatch(e -> "endpoint-down".equals(e.event()) && e.data() != null && e.data().contains("\"endpoint\":\"replica-2\"")));
            Await.until("a status-changed event", WAIT, () -> received.stream().anyMatch(e -> "status-changed".equals(e.event())));
        } finally {
            cluster().start(replica);
            cluster().awaitReplicasStreaming(WAIT);
            Await.until("the router to see every server healthy again", WAIT, () -> router.health().orElseThrow().current()
                    .map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
            Await.until("an endpoint-up event of replica-2", WAIT, () -> received.stream()
                    .anyMatch(e -> "endpoint-up".equals(e.event()) && e.data() != null && e.data().contains("\"endpoint\":\"replica-2\"")));
            subscription.dispose();
        }
    }

    @Test
    void anonymousStreamsCarryTheStatusOnly() {
        List<ServerSentEvent<String>> first = client.get().uri("/health/database/stream").accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() { })
                .getResponseBody().take(1).collectList().block(WAIT);
        assertThat(first).hasSize(1);
        assertThat(first.get(0).event()).isEqualTo("snapshot");
        assertThat(first.get(0).data()).isEqualTo("{\"status\":\"HEALTHY\"}");
    }
}
