package io.reactivedb.web;

import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.migrations.MigrationRunner;
import io.reactivedb.migrations.SchemaCheck;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the router from the environment ({@code DATABASE_URL}, {@code DB_HOST}, …). When neither
 * is set, starts the dev-services cluster (a primary and two streaming replicas from the local
 * PostgreSQL binaries) and routes to it: the embedded default.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConfiguration {

    private static final Logger log = LoggerFactory.getLogger(DatabaseConfiguration.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    /** Holds the dev cluster when one was started, so that it stops with the application. */
    static final class EmbeddedDatabase implements AutoCloseable {
        private final Optional<DevCluster> cluster;

        EmbeddedDatabase(Optional<DevCluster> cluster) {
            this.cluster = cluster;
        }

        Optional<DevCluster> cluster() {
            return cluster;
        }

        @Override
        public void close() {
            cluster.ifPresent(DevCluster::close);
        }
    }

    @Bean
    EmbeddedDatabase embeddedDatabase() {
        Map<String, String> env = System.getenv();
        if (isSet(env, "DATABASE_URL") || isSet(env, "DB_HOST")) {
            return new EmbeddedDatabase(Optional.empty());
        }
        log.info("No DATABASE_URL or DB_HOST set: starting the dev-services PostgreSQL cluster (primary + 2 replicas)");
        DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build());
        for (DevNode node : cluster.nodes()) {
            log.info("Dev-services {} at {}", node.name(), cluster.databaseUrl(node));
        }
        return new EmbeddedDatabase(Optional.of(cluster));
    }

    @Bean(destroyMethod = "")
    ReactiveDbRouter reactiveDbRouter(EmbeddedDatabase embedded) {
        ReactiveDbSettings settings = embedded.cluster().map(DevCluster::settings).orElseGet(EnvironmentSettings::fromEnvironment);
        // Startup edge, before any traffic (Liquibase is JDBC): the embedded database is migrated;
        // a configured one is validated (DB_VALIDATE_SCHEMA_ON_STARTUP) and migrated only with
        // DB_AUTO_MIGRATE. Pending change sets or changed checksums stop the start with their list.
        SchemaCheck check = embedded.cluster().isPresent() ? new SchemaCheck(true, true) : SchemaCheck.fromEnvironment();
        // The embedded cluster's application role may only read and write; its migration role owns the schema.
        check.run(MigrationRunner.create(embedded.cluster().map(DevCluster::migrationSettings).orElse(settings)));
        log.info("Routing with {}", settings);
        ReactiveDbRouter router = ReactiveDbRouter.builder(settings).fromEnvironment(System.getenv()).build();
        // Startup edge: wait for the primary's minimum connections so a bad configuration fails now.
        router.warmUp().block(STARTUP_TIMEOUT);
        return router;
    }

    @Bean
    RouterLifecycle routerLifecycle(ReactiveDbRouter router) {
        return new RouterLifecycle(router);
    }

    private static boolean isSet(Map<String, String> env, String name) {
        String value = env.get(name);
        return value != null && !value.isBlank();
    }
}
