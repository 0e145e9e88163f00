package io.reactivedb.web;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.testing.Await;
import io.reactivedb.web.autoconfigure.EmbeddedDatabase;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The one Spring context every web IT shares (same annotations, so Spring's test context cache
 * keeps a single application and a single dev-services cluster for the run): the demo on its
 * embedded default, admin surface on with a known password, fast health probes, the web
 * layer's clock on virtual time (rate limits refill only when a test advances it), and the beans
 * only tests use ({@link BusyReads}, {@link StatementSpans}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "reactive-db.admin.enabled=true",
        "reactive-db.admin.password=" + WebIT.ADMIN_PASSWORD,
        "reactive-db.admin.rate-limit-requests=" + WebIT.ADMIN_RATE_LIMIT,
        "reactive-db.health.interval=1s",
        "reactive-db.health.timeout=900ms",
        "reactive-db.slow-query-threshold=200ms",
})
@Import({WebIT.VirtualClock.class, WebIT.TestBeans.class})
abstract class WebIT {

    static final String ADMIN = "admin";
    static final String ADMIN_PASSWORD = "Adm1n-Canary-Zq7Wx";
    static final int ADMIN_RATE_LIMIT = 40;
    static final Duration WAIT = Duration.ofSeconds(30);

    @TestConfiguration(proxyBeanMethods = false)
    static class VirtualClock {
        @Bean(name = "reactiveDbWebScheduler")
        VirtualTimeScheduler reactiveDbWebScheduler() {
            return VirtualTimeScheduler.create();
        }
    }

    /** Beans only tests use; here, not on one test class, so that every web IT keeps the one context. */
    @TestConfiguration(proxyBeanMethods = false)
    static class TestBeans {
        @Bean
        BusyReads busyReads(DatabaseClient client) {
            return new BusyReads(client);
        }

        @Bean
        StatementSpans statementSpans() {
            return new StatementSpans();
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    EmbeddedDatabase embedded;

    @Autowired
    VirtualTimeScheduler clock;

    @Autowired
    ReactiveDbRouter router;

    WebTestClient client;

    @BeforeEach
    void client() {
        client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT).build();
    }

    DevCluster cluster() {
        return embedded.cluster().orElseThrow();
    }

    /**
     * Waits until every replica has replayed the primary's WAL as of now. A test that pauses replay
     * needs this first: a replica paused while still replaying an earlier test's bulk change is far
     * behind the primary in bytes, and its lag in time is then the age of its last replayed commit,
     * so a health round takes it out of the read rotation and reads move to the primary.
     */
    void awaitReplicasReplayed() {
        String position = cluster().psql(cluster().primary(), cluster().database(), "SELECT pg_current_wal_lsn()").trim();
        String replayed = "SELECT pg_last_wal_replay_lsn() >= '" + position + "'::pg_lsn";
        Await.until("replicas to replay the primary's WAL up to " + position, WAIT, () -> cluster().replicas().stream()
                .allMatch(node -> "t".equals(cluster().psql(node, cluster().database(), replayed).trim())));
        Await.until("the router to have every replica in its read rotation", WAIT, () -> router.health().orElseThrow().current()
                .map(health -> health.endpoints().stream().filter(endpoint -> endpoint.configuredRole() == EndpointRole.REPLICA)
                        .allMatch(EndpointHealth::inRotation))
                .orElse(false));
    }

    static void admin(HttpHeaders headers) {
        headers.setBasicAuth(ADMIN, ADMIN_PASSWORD);
    }

    /** Every password of the run: the database's (application user and superuser) and the admin's. */
    String[] secrets() {
        return new String[] {cluster().appPassword().reveal(), cluster().superuserPassword().reveal(), ADMIN_PASSWORD};
    }
}
