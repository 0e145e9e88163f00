package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.ConnectionFactory;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.testing.Await;
import io.reactivedb.web.demo.Account;
import io.reactivedb.web.demo.AccountDataService;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.transaction.ReactiveTransactionManager;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Spring Data R2DBC over the router's ConnectionFactory: read-only transactions on replicas, the rest on the primary. */
class SpringDataIT extends WebIT {

    @Autowired
    ConnectionFactory connectionFactory;

    @Autowired
    ReactiveTransactionManager transactionManager;

    @Autowired
    AccountDataService service;

    @Autowired
    BusyReads busyReads;

    @Autowired
    DatabaseClient databaseClient;


    @Test
    void springUsesTheRoutersConnectionFactoryAndTransactionManager() {
        assertThat(connectionFactory).isInstanceOf(RouterConnectionFactory.class);
        assertThat(transactionManager).isInstanceOfSatisfying(R2dbcTransactionManager.class,
                tm -> assertThat(tm.getConnectionFactory()).isSameAs(connectionFactory));
    }

    @Test
    void aReadOnlyTransactionRunsOnAReplicaAndAReadWriteOneOnThePrimary() {
        for (int i = 0; i < 4; i++) {
            StepVerifier.create(service.readOnlyTransactionOnReplica()).expectNext(true).expectComplete().verify(WAIT);
            StepVerifier.create(service.readWriteTransactionOnReplica()).expectNext(false).expectComplete().verify(WAIT);
        }
    }

    /**
     * {@code DatabaseClient…first()} on a query the server is still working on: Spring closes the
     * connection as the cancel starts, before it has reached the reply, and the release must still
     * stop the statement on the server rather than hand the busy connection back to the pool.
     */
    @Test
    void aDatabaseClientQueryLeftAfterItsFirstRowIsStoppedOnTheServer() {
        BusyReads.Backend backend = busyReads.outsideATransaction().next().block(WAIT);
        assertThat(backend).isNotNull();
        assertThat(backend.port()).isEqualTo(cluster().primary().port());
        assertStoppedAndTheNextBorrowerServed(backend, databaseClient.sql("SELECT 1").map(row -> row.get(0, Integer.class)).one());
    }

    /** The same through {@code @Transactional(readOnly = true)}: Spring rolls back on the cancel, then closes. */
    @Test
    void aReadOnlyTransactionLeftAfterItsFirstRowIsStoppedOnTheServer() {
        BusyReads.Backend backend = busyReads.inAReadOnlyTransaction().take(1).blockLast(WAIT);
        assertThat(backend).isNotNull();
        assertThat(cluster().replicas()).extracting(DevNode::port).contains(backend.port());
        assertStoppedAndTheNextBorrowerServed(backend, service.readOnlyTransactionOnReplica().map(onReplica -> 1));
    }

    /**
     * Once the loan has ended (close() completed), the backend is not left running the query, and
     * the next borrower is answered long before the ~100 s the query would have run.
     */
    private void assertStoppedAndTheNextBorrowerServed(BusyReads.Backend backend, Mono<Integer> nextBorrower) {
        Await.until("every loan ended", WAIT, () -> router.endpoints().stream()
                .allMatch(e -> e.inFlight() == 0 && e.poolStatistics().acquired() == 0));
        DevNode node = cluster().nodes().stream().filter(n -> n.port() == backend.port()).findFirst().orElseThrow();
        Await.until("backend " + backend.pid() + " on " + node.name() + " no longer running the abandoned query", Duration.ofSeconds(10),
                () -> "0".equals(cluster().psql(node, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE pid = "
                        + backend.pid() + " AND state = 'active'")));
        assertThat(nextBorrower.block(WAIT)).isEqualTo(1);
    }

    @Test
    void theSpringDataRepositoryWritesOnThePrimaryAndReadsItsWriteBackWithTheToken() {
        EntityExchangeResult<Account> created = client.post().uri("/api/data/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("owner", "spring-data", "balance", 42)).exchange()
                .expectStatus().isCreated()
                .expectBody(Account.class).returnResult();
        Account account = created.getResponseBody();
        assertThat(account).isNotNull();
        assertThat(account.id()).isPositive();
        assertThat(account.createdAt()).isNotNull();
        String token = created.getResponseHeaders().getFirst("X-Consistency-Token");
        assertThat(token).as("a write through Spring Data advances the consistency token").isNotBlank();

        client.get().uri("/api/data/accounts/" + account.id()).header("X-Consistency-Token", token).exchange()
                .expectStatus().isOk()
                .expectBody(Account.class).isEqualTo(account);
        client.get().uri("/api/data/accounts/987654321").exchange().expectStatus().isNotFound();
    }
}
