package io.reactivedb.routing;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.internal.health.HealthMonitor;
import io.reactivedb.internal.health.PostgresProbe;
import io.reactivedb.internal.pool.Deadlines;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.internal.pool.LeakDetector;
import io.reactivedb.pool.LeakDetection;
import io.reactivedb.internal.resilience.EndpointBreakers;
import io.reactivedb.resilience.BreakerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * The router's parts, built once and connected: the endpoints and their pools, the breakers, the
 * topology, the health monitor (its probes log in as the probe credentials, if given), the
 * stall watch and the leak detector. The health monitor starts when it is built.
 */
final class RouterWiring {

    private static final Logger log = LoggerFactory.getLogger(RouterWiring.class);

    final ReactiveDbSettings settings;
    final Scheduler scheduler;
    final Deadlines deadlines;
    final Endpoints endpoints;
    final @Nullable EndpointBreakers breakers;
    final Observation observation;
    /** Watches every lease of a unit or loan: {@link LeakDetector#off()} unless leak detection is configured. */
    final LeakDetector leaks;
    final StatementTracing tracing;
    final Topology topology;
    final @Nullable HealthMonitor health;
    final @Nullable StallWatch stallWatch;
    final @Nullable Disposable breakerEvents;

    RouterWiring(ReactiveDbSettings settings, Scheduler scheduler, @Nullable HealthSettings healthSettings,
                 List<HealthComponent> components, @Nullable BreakerSettings breakerSettings, Observation observation,
                 LeakDetection leakDetection, StatementTracing tracing) {
        this.settings = settings;
        this.leaks = LeakDetector.create(leakDetection, scheduler);
        this.tracing = tracing;
        this.scheduler = scheduler;
        this.observation = observation;
        this.deadlines = new Deadlines(scheduler);
        this.endpoints = Endpoints.create(settings, deadlines);
        this.breakers = breakerSettings == null ? null : EndpointBreakers.create(breakerSettings, scheduler);
        this.topology = new Topology(endpoints, scheduler, observation, this::probeSoon);
        this.health = healthSettings == null ? null : monitor(healthSettings, components);
        if (breakers != null) {
            endpoints.all().forEach(endpoint -> breakers.breaker(endpoint.name()));
        }
        this.breakerEvents = breakers == null || health == null ? null : breakers.transitions()
                .subscribe(transition -> health.breakerChanged(transition.endpoint(), transition.from().name(), transition.to().name()));
        this.stallWatch = healthSettings == null ? null
                : new StallWatch(endpoints.all(), healthSettings.stallTimeout(), scheduler, new StallResponse(topology));
        if (health != null) {
            health.start();
        }
    }

    /** How long a cleanup step (rollback, resync, close) may take: the pool's validation timeout. */
    Duration cleanupTimeout() {
        return settings.pool().validationTimeout();
    }

    Duration acquireTimeout() {
        return settings.pool().acquireTimeout();
    }

    /**
     * A write met {@code 25006}: the server taken for the primary is read-only now (demoted under
     * us). Its connection is discarded, the topology is checked at once, and the error is reported
     * as is: never retried on the same server.
     */
    void onWriteToReadOnlyServer(Lease lease) {
        lease.discardOnRelease();
        log.warn("[{}] rejected a write as read-only (25006); re-checking the topology", lease.endpoint());
        if (health != null) {
            health.probeNow();
        }
    }

    /**
     * The server's reply shows a transaction pooler that {@code DB_POOLER} does not name: this
     * connection's statement cache is wrong for the session it now runs in, so it is discarded, and
     * the health stream says so (at most once per endpoint and interval).
     */
    void onPoolerMismatch(Lease lease, DbPoolerException error) {
        lease.discardOnRelease();
        if (health != null) {
            health.poolerMismatch(lease.endpoint(), error.sqlState().orElse(""));
        }
    }

    private void probeSoon() {
        if (health != null) {
            health.probeSoon();
        }
    }

    private HealthMonitor monitor(HealthSettings healthSettings, List<HealthComponent> components) {
        SessionSettings probeSession = settings.session().toBuilder()
                .applicationName(probeApplicationName(settings.session().applicationName()))
                .connectTimeout(healthSettings.probeTimeout())
                .build();
        List<HealthMonitor.Target> targets = new ArrayList<>();
        for (Endpoint endpoint : endpoints.all()) {
            targets.add(new HealthMonitor.Target(endpoint.name(), endpoint.role(),
                    new PostgresProbe(endpoint.name(), EndpointPool.connectionConfiguration(probeLogin(endpoint.settings()), probeSession)),
                    endpoint::poolStatistics));
        }
        return new HealthMonitor(targets, List.copyOf(components), Optional.of(endpoints.primary().name()), healthSettings, scheduler,
                topology::apply, name -> breakers != null && !breakers.allowsCalls(name));
    }

    /** The endpoint as the probes reach it: its own login unless the settings give probe credentials. */
    private EndpointSettings probeLogin(EndpointSettings endpoint) {
        return settings.probeCredentials()
                .map(login -> endpoint.toBuilder().username(login.username()).password(login.password()).build())
                .orElse(endpoint);
    }

    /** Probes show up in {@code pg_stat_activity} as the application name plus {@code " health"}. */
    private static String probeApplicationName(String applicationName) {
        return applicationName(applicationName, " health");
    }

    /** The application name plus {@code suffix}, cut to fit PostgreSQL's 63 bytes. */
    static String applicationName(String applicationName, String suffix) {
        int room = 63 - suffix.length();
        return (applicationName.length() > room ? applicationName.substring(0, room) : applicationName) + suffix;
    }
}
