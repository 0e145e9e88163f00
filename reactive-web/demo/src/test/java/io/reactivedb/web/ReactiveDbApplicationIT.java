package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The demo service on its embedded default: it starts the dev-services cluster, migrates it and routes to it. */
class ReactiveDbApplicationIT extends WebIT {


    @Test
    void pingReadsFromAReplicaAndWritesToThePrimary() {
        DatabaseController.Ping ping = client.get().uri("/api/database/ping").exchange()
                .expectStatus().isOk().expectBody(DatabaseController.Ping.class).returnResult().getResponseBody();
        assertThat(ping).isNotNull();
        assertThat(ping.read().inRecovery()).isTrue();
        assertThat(ping.read().endpoint()).startsWith("replica-");
        assertThat(ping.write().inRecovery()).isFalse();
        assertThat(ping.write().endpoint()).isEqualTo("primary");
    }

    @Test
    void theEmbeddedDatabaseWasMigratedAtStartup() {
        assertThat(router.write(s -> s.query("SELECT to_regclass('public.account') IS NOT NULL", row -> row.get(0, Boolean.class)))
                .single().block(WAIT)).isTrue();
        assertThat(embedded.isEmbedded()).isTrue();
    }
}
