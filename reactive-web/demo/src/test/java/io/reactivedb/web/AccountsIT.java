package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.devservices.DevNode;
import io.reactivedb.web.demo.Account;
import io.reactivedb.web.demo.Transfer;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import reactor.test.StepVerifier;

/** The demo service: accounts, transfers, problem details, read-your-writes through the header. */
class AccountsIT extends WebIT {

    private static final String TOKEN = "X-Consistency-Token";

    private EntityExchangeResult<Account> create(String owner, long balance) {
        return client.post().uri("/api/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("owner", owner, "balance", balance)).exchange()
                .expectStatus().isCreated()
                .expectHeader().exists(TOKEN)
                .expectBody(Account.class).returnResult();
    }

    private static String owner() {
        return "owner-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }

    @Test
    void aWritesTokenMakesTheNextReadSeeItWhileReplicasArePaused() {
        List<DevNode> replicas = cluster().replicas();
        awaitReplicasReplayed();
        replicas.forEach(replica -> cluster().pauseReplay(replica));
        try {
            EntityExchangeResult<Account> created = create(owner(), 500);
            Account account = created.getResponseBody();
            String token = created.getResponseHeaders().getFirst(TOKEN);
            assertThat(account).isNotNull();
            assertThat(token).matches("[0-9A-F]+/[0-9A-F]+");

            // Without the token the read goes to a replica, which has not replayed the insert.
            client.get().uri("/api/accounts/" + account.id()).exchange().expectStatus().isNotFound();
            // With it, only a server that has the write may answer.
            client.get().uri("/api/accounts/" + account.id()).header(TOKEN, token).exchange()
                    .expectStatus().isOk()
                    .expectHeader().valueEquals(TOKEN, token)
                    .expectBody(Account.class).isEqualTo(account);
        } finally {
            replicas.forEach(replica -> cluster().resumeReplay(replica));
        }
    }

    @Test
    void aTransferMovesMoneyInOneTransaction() {
        Account from = create(owner(), 1_000).getResponseBody();
        Account to = create(owner(), 0).getResponseBody();
        EntityExchangeResult<Transfer> result = client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("from", from.id(), "to", to.id(), "amount", 250)).exchange()
                .expectStatus().isCreated()
                .expectBody(Transfer.class).returnResult();
        String token = result.getResponseHeaders().getFirst(TOKEN);
        assertThat(result.getResponseBody().amount()).isEqualTo(250);
        assertThat(balance(from.id(), token)).isEqualTo(750);
        assertThat(balance(to.id(), token)).isEqualTo(250);
        // The Location answers with the transfer (read-your-writes with the token).
        String location = result.getResponseHeaders().getLocation().toString();
        assertThat(location).isEqualTo("/api/transfers/" + result.getResponseBody().id());
        Transfer read = client.get().uri(location).header(TOKEN, token).exchange().expectStatus().isOk()
                .expectBody(Transfer.class).returnResult().getResponseBody();
        assertThat(read.id()).isEqualTo(result.getResponseBody().id());
        assertThat(read.from()).isEqualTo(from.id());
        assertThat(read.amount()).isEqualTo(250);
        client.get().uri("/api/transfers/" + new UUID(1, 2)).exchange().expectStatus().isNotFound();
        client.get().uri("/api/transfers/not-a-uuid").exchange().expectStatus().isBadRequest();
    }

    @Test
    void anOverdraftIs409AndWritesNothing() {
        Account from = create(owner(), 100).getResponseBody();
        EntityExchangeResult<Account> created = create(owner(), 0);
        Account to = created.getResponseBody();
        String token = created.getResponseHeaders().getFirst(TOKEN);
        String failedToken = client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("from", from.id(), "to", to.id(), "amount", 101)).exchange()
                .expectStatus().isEqualTo(409)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(409)
                .jsonPath("$.constraint").isEqualTo("account_balance_non_negative")
                .returnResult().getResponseHeaders().getFirst(TOKEN);
        assertThat(failedToken).as("nothing was written, so no new position").isNull();
        assertThat(balance(from.id(), token)).isEqualTo(100);
        assertThat(balance(to.id(), token)).isZero();
    }

    @Test
    void aRepeatedTransferIdIs409AndAppliesOnce() {
        Account from = create(owner(), 100).getResponseBody();
        Account to = create(owner(), 0).getResponseBody();
        UUID id = new UUID(ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong());
        Map<String, Object> body = Map.of("id", id.toString(), "from", from.id(), "to", to.id(), "amount", 10);
        client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isCreated();
        client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isEqualTo(409)
                .expectBody().jsonPath("$.constraint").isEqualTo("transfer_pkey");
        // The first transfer only, read at least as fresh as a later write.
        String token = create(owner(), 0).getResponseHeaders().getFirst(TOKEN);
        assertThat(balance(from.id(), token)).isEqualTo(90);
    }

    @Test
    void unknownIdsAre404AndBadRequestsAre400WithProblemDetails() {
        client.get().uri("/api/accounts/987654321").exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.title").isEqualTo("Not found").jsonPath("$.status").isEqualTo(404);
        client.get().uri("/api/accounts/not-a-number").exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        client.post().uri("/api/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("balance", 5)).exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("owner").jsonPath("$.type").isEqualTo("https://reactive-db.io/problems/invalid-request");
        client.post().uri("/api/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue("{not json").exchange()
                .expectStatus().isBadRequest();
        client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("from", 1, "to", 1, "amount", 5)).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("to");
        // A known source and an unknown target: the debit is rolled back with the rest.
        EntityExchangeResult<Account> known = create(owner(), 50);
        client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("from", known.getResponseBody().id(), "to", 987654322, "amount", 5)).exchange()
                .expectStatus().isNotFound()
                .expectBody().jsonPath("$.detail").isEqualTo("account 987654322 does not exist");
        assertThat(balance(known.getResponseBody().id(), known.getResponseHeaders().getFirst(TOKEN))).isEqualTo(50);
        client.get().uri("/api/accounts?limit=0").accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isBadRequest().expectBody().jsonPath("$.field").isEqualTo("limit");
        client.get().uri("/api/accounts/1").header(TOKEN, "not-a-token").exchange().expectStatus().isBadRequest();
    }

    @Test
    void aNulByteInTheOwnerFilterIs400NamingTheField() {
        // PostgreSQL text cannot hold NUL (22021); the request is refused before it reaches a server.
        client.get().uri(URI.create("http://127.0.0.1:" + port + "/api/accounts?owner=a%00b")).accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field").isEqualTo("owner")
                .jsonPath("$.detail").isEqualTo("owner must not contain NUL")
                .jsonPath("$.trace").doesNotExist();
    }

    @Test
    void aTransferThatWouldOverflowTheTargetIs409AndWritesNothing() {
        Account from = create(owner(), 10).getResponseBody();
        EntityExchangeResult<Account> created = create(owner(), Long.MAX_VALUE);
        Account to = created.getResponseBody();
        String token = created.getResponseHeaders().getFirst(TOKEN);
        client.post().uri("/api/transfers").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("from", from.id(), "to", to.id(), "amount", 1)).exchange()
                .expectStatus().isEqualTo(409)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.title").isEqualTo("Balance out of range")
                .jsonPath("$.type").isEqualTo("https://reactive-db.io/problems/balance-out-of-range")
                .jsonPath("$.field").isEqualTo("to")
                .jsonPath("$.trace").doesNotExist();
        assertThat(balance(from.id(), token)).isEqualTo(10);
        assertThat(balance(to.id(), token)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void moneyAndOwnersMustHaveTheirJsonTypesOrAre400NamingTheField() {
        String owner = owner();
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("/api/accounts {\"owner\":\"" + owner + "\",\"balance\":10.5}", "balance must be a JSON integer");
        refused.put("/api/accounts {\"owner\":\"" + owner + "\",\"balance\":\"5\"}", "balance must be a JSON integer");
        refused.put("/api/accounts {\"owner\":\"" + owner + "\",\"balance\":1e3}", "balance must be a JSON integer");
        refused.put("/api/accounts {\"owner\":\"" + owner + "\",\"balance\":true}", "balance must be a JSON integer");
        refused.put("/api/accounts {\"owner\":\"" + owner + "\",\"balance\":99999999999999999999}",
                "balance must be a JSON integer of at most 9223372036854775807");
        refused.put("/api/accounts {\"owner\":123,\"balance\":5}", "owner must be a JSON string");
        refused.put("/api/accounts {\"owner\":[\"" + owner + "\"],\"balance\":5}", "owner must be a JSON string");
        refused.put("/api/data/accounts {\"owner\":\"" + owner + "\",\"balance\":10.5}", "balance must be a JSON integer");
        refused.put("/api/transfers {\"from\":1,\"to\":2,\"amount\":1.5}", "amount must be a JSON integer");
        refused.put("/api/transfers {\"from\":\"1\",\"to\":2,\"amount\":5}", "from must be a JSON integer");
        refused.put("/api/transfers {\"from\":1,\"to\":2.0,\"amount\":5}", "to must be a JSON integer");
        refused.put("/api/transfers {\"id\":5,\"from\":1,\"to\":2,\"amount\":5}", "id has the wrong type");
        refused.forEach((request, detail) -> {
            String path = request.substring(0, request.indexOf(' '));
            String field = detail.substring(0, detail.indexOf(' '));
            client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(request.substring(path.length() + 1)).exchange()
                    .expectStatus().isBadRequest()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.field").isEqualTo(field)
                    .jsonPath("$.detail").isEqualTo(detail)
                    .jsonPath("$.title").isEqualTo("Invalid request");
        });
        // Nothing of it was stored, read at least as fresh as a later write.
        String token = create(owner(), 0).getResponseHeaders().getFirst(TOKEN);
        client.get().uri("/api/accounts?owner=" + owner).header(TOKEN, token).accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isOk()
                .expectBodyList(Account.class).hasSize(0);
    }

    @Test
    void listingStreamsNdjsonInIdOrder() {
        String owner = owner();
        String token = null;
        for (int i = 0; i < 5; i++) {
            token = create(owner, i * 10).getResponseHeaders().getFirst(TOKEN);
        }
        var body = client.get().uri("/api/accounts?owner=" + owner + "&minBalance=10&limit=3").header(TOKEN, token)
                .accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_NDJSON)
                .returnResult(Account.class).getResponseBody();
        // One element at a time: the stream honours the subscriber's demand.
        StepVerifier.create(body, 1)
                .assertNext(a -> assertThat(a.balance()).isEqualTo(10))
                .thenRequest(1)
                .assertNext(a -> assertThat(a.balance()).isEqualTo(20))
                .thenRequest(5)
                .assertNext(a -> assertThat(a.owner()).isEqualTo(owner))
                .expectComplete()
                .verify(WAIT);
    }

    private long balance(long id, String token) {
        Account account = client.get().uri("/api/accounts/" + id).headers(h -> {
                    if (token != null) {
                        h.set(TOKEN, token);
                    }
                }).exchange().expectStatus().isOk()
                .expectBody(Account.class).returnResult().getResponseBody();
        return account.balance();
    }
}
