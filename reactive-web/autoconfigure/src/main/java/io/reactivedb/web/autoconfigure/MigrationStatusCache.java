package io.reactivedb.web.autoconfigure;

import io.reactivedb.migrations.MigrationRunner;
import io.reactivedb.migrations.MigrationStatus;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The schema's migration status for health output. Reading it is blocking JDBC (Liquibase), run on
 * {@code boundedElastic} by {@link MigrationRunner#statusAsync()}, so the result is reused for a
 * while instead of being read on every health request; a failure is kept for a few seconds only.
 */
public final class MigrationStatusCache {

    private static final Duration ERROR_CACHE_TIME = Duration.ofSeconds(5);

    private final Mono<MigrationStatus> status;

    public MigrationStatusCache(MigrationRunner runner, Duration cacheTime, Scheduler scheduler) {
        this.status = runner.statusAsync().cache(value -> cacheTime, error -> ERROR_CACHE_TIME, () -> ERROR_CACHE_TIME, scheduler);
    }

    /** The status, read at most once per cache time. */
    public Mono<MigrationStatus> status() {
        return status;
    }
}
