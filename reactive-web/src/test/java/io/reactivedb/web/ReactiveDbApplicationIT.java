package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.reactive.function.client.WebClient;

/** The demo service on its embedded default: it starts the dev-services cluster and routes to it. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ReactiveDbApplicationIT {

    @LocalServerPort
    int port;

    @org.springframework.beans.factory.annotation.Autowired
    io.reactivedb.routing.ReactiveDbRouter router;

    @Test
    void pingReadsFromAReplicaAndWritesToThePrimary() {
        DatabaseController.Ping ping = WebClient.create("http://127.0.0.1:" + port).get().uri("/api/database/ping")
                .retrieve().bodyToMono(DatabaseController.Ping.class).block(Duration.ofSeconds(30));
        assertThat(ping).isNotNull();
        assertThat(ping.read().inRecovery()).isTrue();
        assertThat(ping.read().endpoint()).startsWith("replica-");
        assertThat(ping.write().inRecovery()).isFalse();
        assertThat(ping.write().endpoint()).isEqualTo("primary");
    }

    @Test
    void theEmbeddedDatabaseWasMigratedAtStartup() {
        DatabaseController.Where where = WebClient.create("http://127.0.0.1:" + port).get().uri("/api/database/ping")
                .retrieve().bodyToMono(DatabaseController.Ping.class).map(DatabaseController.Ping::write).block(Duration.ofSeconds(30));
        assertThat(where).isNotNull();
        assertThat(router.write(s -> s.query("SELECT to_regclass('public.account') IS NOT NULL", row -> row.get(0, Boolean.class)))
                .single().block(Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void endpointsListsThePoolsWithoutSecrets() {
        String body = WebClient.create("http://127.0.0.1:" + port).get().uri("/api/database/endpoints")
                .retrieve().bodyToMono(String.class).block(Duration.ofSeconds(30));
        assertThat(body).contains("\"name\":\"primary\"", "\"name\":\"replica-1\"", "\"name\":\"replica-2\"").doesNotContainIgnoringCase("password");
    }
}
