package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.ConnectionFactory;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.web.demo.Account;
import io.reactivedb.web.demo.AccountDataService;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.transaction.ReactiveTransactionManager;
import reactor.test.StepVerifier;

/** Spring Data R2DBC over the router's ConnectionFactory: read-only transactions on replicas, the rest on the primary. */
class SpringDataIT extends WebIT {

    @Autowired
    ConnectionFactory connectionFactory;

    @Autowired
    ReactiveTransactionManager transactionManager;

    @Autowired
    AccountDataService service;

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
