package io.reactivedb.web.autoconfigure;

import io.reactivedb.routing.RouterBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterMain;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.metrics.ReactiveDbMetrics;
import io.reactivedb.observation.ObservationStatementTracer;
import io.reactivedb.migrations.MigrationRunner;
import io.reactivedb.migrations.SchemaCheck;
import io.reactivedb.backup.BackupService;
import io.reactivedb.backup.BackupSettings;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.resilience.SlowQueryLog;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.health.ReactiveDbHealthIndicator;
import java.time.Duration;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Builds the {@link ReactiveDbRouter} from the {@code reactive-db.*} properties and the
 * environment names the library reads ({@code DATABASE_URL}, {@code DB_READ_REPLICA_URLS}, …;
 * a set property wins). With neither a URL nor a host configured, starts the dev-services cluster
 * (a primary and streaming replicas from the local PostgreSQL binaries) and routes to it: the
 * embedded default. Invalid settings stop the start with the library's
 * {@link ConfigurationException}, naming the setting and never its value.
 *
 * <p>At startup the schema is checked ({@code reactive-db.schema.*}; the embedded database is
 * migrated), the primary's minimum connections are opened, and the library's meters are bound to
 * the application's {@link MeterRegistry}; with an {@link ObservationRegistry} bean (Spring Boot's
 * observation auto-configuration) every statement is an observation ({@link ObservationStatementTracer}). On shutdown the router drains after the web server
 * ({@link RouterLifecycle}), and only then is the embedded cluster stopped.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration", afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"})
@EnableConfigurationProperties(ReactiveDbProperties.class)
public class ReactiveDbAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ReactiveDbAutoConfiguration.class);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    /**
     * The settings in force, with where they came from; the web layer shows them redacted.
     * {@code migrationSettings}: the primary with the login schema changes run as
     * ({@code DB_MIGRATION_USER}, the embedded cluster's migration role). {@code embedded}: a
     * dev-services database, the embedded cluster or {@link ReactiveDbConnectionDetails} a test handed in.
     */
    public record ResolvedDatabase(ReactiveDbSettings settings, ReactiveDbSettings migrationSettings, boolean embedded, boolean production) {
    }

    /** The library's settings: the {@code reactive-db.*} properties over the environment variables. */
    @Bean
    PropertySettingSource reactiveDbSettingSource(Environment environment) {
        return PropertySettingSource.of(environment, System.getenv());
    }

    @Bean
    @ConditionalOnMissingBean
    EmbeddedDatabase reactiveDbEmbeddedDatabase(ReactiveDbProperties properties, PropertySettingSource source,
                                                ObjectProvider<ReactiveDbConnectionDetails> details) {
        if (source.hasDatabase() || details.getIfAvailable() != null) {
            return new EmbeddedDatabase(Optional.empty(), Optional.empty());
        }
        if (!properties.getDevServices().isEnabled()) {
            throw new ConfigurationException("reactive-db.url (DATABASE_URL)",
                    "no database configured and reactive-db.dev-services.enabled is false; set DATABASE_URL or DB_HOST");
        }
        int replicas = properties.getDevServices().getReplicas();
        log.info("No database configured (reactive-db.url/DATABASE_URL, reactive-db.host/DB_HOST): starting the dev-services"
                + " PostgreSQL cluster, primary + {} replica(s), the embedded default", replicas);
        DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(replicas).shutdownHook(false).build());
        for (DevNode node : cluster.nodes()) {
            log.info("Dev-services {} at {}", node.name(), cluster.databaseUrl(node));
        }
        Optional<Path> envFile = Optional.ofNullable(properties.getDevServices().getEnvFile()).filter(f -> !f.isBlank()).map(Path::of);
        try {
            envFile.ifPresent(file -> {
                DevClusterMain.writeEnvFile(file, cluster.loginEnvironment());
                log.info("Dev-services logins (owner-only) in {}: `set -a; . {}; set +a` for the command lines", file.toAbsolutePath(), file);
            });
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return new EmbeddedDatabase(Optional.of(cluster), envFile);
    }

    @Bean
    @ConditionalOnMissingBean
    ResolvedDatabase reactiveDbResolvedDatabase(ReactiveDbProperties properties, PropertySettingSource source, EmbeddedDatabase embedded,
                                                ObjectProvider<ReactiveDbConnectionDetails> handed) {
        // The embedded cluster's roles (or those of connection details a test handed in): the
        // application's for traffic, the health role for probes, the migration role (DDL) for the
        // schema check; a configured database names its own.
        Optional<ReactiveDbConnectionDetails> details = Optional.ofNullable(handed.getIfAvailable())
                .or(() -> embedded.cluster().map(ReactiveDbConnectionDetails::of));
        ReactiveDbSettings settings = details.map(given -> source.parse(() -> withEndpointsOf(EnvironmentSettings.parseToBuilder(source),
                        given.settings())))
                .orElseGet(() -> EnvironmentSettings.parse(source));
        ReactiveDbSettings migrations = details.map(ReactiveDbConnectionDetails::migrationSettings)
                .orElseGet(() -> EnvironmentSettings.migrationSettings(source, settings));
        boolean devDatabase = details.isPresent();
        boolean production = properties.getProduction() != null ? properties.getProduction() : !devDatabase;
        // Outside dev mode the library's production checks are on unless DB_PRODUCTION_MODE says
        // otherwise: anything weaker than verify-full toward a remote host, a superuser login or a
        // missing password stops the start, naming the setting.
        ReactiveDbSettings inForce = production && source.raw(SettingsTable.DB_PRODUCTION_MODE.env()).isEmpty()
                ? source.parse(() -> settings.toBuilder().productionMode(true).build())
                : settings;
        return new ResolvedDatabase(inForce, migrations, devDatabase, production);
    }

    private static ReactiveDbSettings withEndpointsOf(ReactiveDbSettings.Builder builder, ReactiveDbSettings given) {
        builder.primary(given.primary()).replicas(given.replicas());
        given.probeCredentials().ifPresent(builder::probeCredentials);
        return builder.build();
    }

    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    ReactiveDbRouter reactiveDbRouter(PropertySettingSource source, ResolvedDatabase resolved, ObjectProvider<MeterRegistry> registries,
                                      ObjectProvider<ObservationRegistry> observations) {
        ReactiveDbSettings settings = resolved.settings();
        // Startup edge, before any traffic (Liquibase is JDBC): the embedded database is migrated;
        // a configured one is validated and migrated only when asked to. Pending change sets or
        // changed checksums stop the start with their list.
        SchemaCheck check = resolved.embedded() ? new SchemaCheck(true, true) : source.parse(() -> SchemaCheck.fromEnvironment(source));
        check.run(MigrationRunner.create(resolved.migrationSettings()));
        log.info("Routing with {}", settings);
        RouterBuilder builder = ReactiveDbRouter.builder(settings).fromEnvironment(source);
        MeterRegistry registry = registries.getIfAvailable(SimpleMeterRegistry::new);
        ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
        Duration slowThreshold = source.parse(() -> SlowQueryLog.fromEnvironment(source)).threshold();
        if (source.hasBackups()) {
            // Backup health (age of the newest verified backup, last verification) joins the health
            // snapshot as the "backup" component; the dumps run as the schema's owner.
            BackupService backups = source.parse(() -> BackupService.builder(BackupSettings.fromEnvironment(source),
                    resolved.migrationSettings().primary()).build());
            builder.healthComponent(backups.health());
            log.info("Backup health from {}", backups.settings().directory());
        }
        ObservationRegistry observationRegistry = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
        if (!observationRegistry.isNoop()) {
            // One client observation per statement, child of the request's (WebFlux puts it in the Reactor Context).
            builder.statementTracer(new ObservationStatementTracer(observationRegistry));
        }
        ReactiveDbRouter router = builder.queryListener(metrics).queryListener(new SlowQueryCounter(registry, slowThreshold)).build();
        metrics.bindTo(router);
        try {
            // Startup edge: wait for the primary's minimum connections so a bad configuration fails now.
            router.warmUp().block(STARTUP_TIMEOUT);
        } catch (RuntimeException e) {
            router.shutdown(Duration.ofSeconds(1)).subscribe(done -> { }, error -> { });
            throw e;
        }
        return router;
    }

    @Bean
    RouterLifecycle reactiveDbRouterLifecycle(ReactiveDbRouter router) {
        return new RouterLifecycle(router);
    }

    @Bean
    @ConditionalOnMissingBean
    QueryStatistics reactiveDbQueryStatistics(ObjectProvider<MeterRegistry> registries, ReactiveDbRouter router) {
        return new QueryStatistics(registries.getIfAvailable(SimpleMeterRegistry::new));
    }

    @Bean
    @ConditionalOnMissingBean
    MigrationStatusCache reactiveDbMigrationStatus(ResolvedDatabase resolved, ReactiveDbProperties properties) {
        return new MigrationStatusCache(MigrationRunner.create(resolved.settings()), properties.getSchema().getStatusCacheTime(), Schedulers.parallel());
    }

    /** Time for the web layer (stream heartbeats, rate limits); tests replace it with virtual time. */
    @Bean(name = "reactiveDbWebScheduler")
    @ConditionalOnMissingBean(name = "reactiveDbWebScheduler")
    Scheduler reactiveDbWebScheduler() {
        return Schedulers.parallel();
    }

    /**
     * Spring Data R2DBC, {@code DatabaseClient} and {@code R2dbcTransactionManager} over the router:
     * read-only transactions go to replicas, everything else to the primary. Spring Boot's own
     * R2DBC auto-configuration backs off and builds its transaction manager and template on it.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.r2dbc.core.DatabaseClient")
    static class R2dbcConfiguration {

        @Bean
        @ConditionalOnMissingBean(ConnectionFactory.class)
        RouterConnectionFactory reactiveDbConnectionFactory(ReactiveDbRouter router) {
            return RouterConnectionFactory.of(router);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ReactiveHealthIndicator.class)
    static class HealthIndicatorConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "reactiveDbHealthIndicator")
        ReactiveDbHealthIndicator reactiveDbHealthIndicator(ReactiveDbRouter router) {
            return new ReactiveDbHealthIndicator(router, Duration.ofSeconds(5));
        }
    }
}
