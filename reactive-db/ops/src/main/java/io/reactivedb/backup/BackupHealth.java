package io.reactivedb.backup;

import io.reactivedb.routing.RouterBuilder;
import io.reactivedb.health.ComponentHealth;
import io.reactivedb.health.HealthComponent;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Backup health for the health snapshot, as component {@value #NAME}: the age of the newest
 * verified backup of one database and the last verification result, read from the metadata in the
 * backup folder (so a verification run by the CLI counts too).
 *
 * <p>DEGRADED when there is no verified backup, when the newest verified one is older than
 * {@code DB_BACKUP_MAX_AGE}, or when the most recent verification failed; UP otherwise. A
 * verification that could not run ({@link VerificationResult.Outcome#NOT_RUN}) is never counted as a
 * failed one: it is shown as {@code lastUnrunVerification*} and, when it leaves no verified backup,
 * named in the reason (the backup is unverified, not bad). Register it
 * with {@code RouterBuilder#healthComponent(service.health())}.
 */
public final class BackupHealth implements HealthComponent {

    public static final String NAME = "backup";

    private final BackupStore store;
    private final String database;
    private final Duration maxAge;
    private final Clock clock;

    BackupHealth(Path directory, String database, Duration maxAge, Clock clock) {
        this.store = new BackupStore(directory);
        this.database = Objects.requireNonNull(database, "database");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Reads the folder on {@link Schedulers#boundedElastic()}. */
    @Override
    public Mono<ComponentHealth> check() {
        return Mono.fromCallable(() -> evaluate(store.list(), clock.instant())).subscribeOn(Schedulers.boundedElastic());
    }

    ComponentHealth evaluate(List<BackupMetadata> all, Instant now) {
        List<BackupMetadata> backups = all.stream().filter(b -> b.database().equals(database)).toList();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("database", database);
        details.put("maxAge", maxAge.toString());
        details.put("backups", (long) backups.size());
        backups.stream().findFirst().ifPresent(newest -> {
            details.put("newestBackup", newest.id());
            details.put("newestBackupAt", newest.createdAt().toString());
        });
        Optional<BackupMetadata> verified = backups.stream().filter(BackupMetadata::verified).findFirst();
        Optional<BackupMetadata> lastChecked = backups.stream().filter(b -> b.lastVerification().isPresent())
                .max(Comparator.comparing(b -> b.lastVerification().orElseThrow().at()));
        Duration age = verified.map(b -> Duration.between(b.createdAt(), now)).orElse(null);
        verified.ifPresent(b -> {
            details.put("newestVerifiedBackup", b.id());
            details.put("newestVerifiedAt", b.createdAt().toString());
            details.put("newestVerifiedAgeSeconds", Duration.between(b.createdAt(), now).toSeconds());
        });
        lastChecked.ifPresent(b -> {
            BackupMetadata.Verification v = b.lastVerification().orElseThrow();
            details.put("lastVerificationBackup", b.id());
            details.put("lastVerificationAt", v.at().toString());
            details.put("lastVerificationPassed", v.passed());
            details.put("lastVerificationMessage", v.message());
        });
        Optional<BackupMetadata> lastUnrun = backups.stream().filter(b -> b.lastUnrunVerification().isPresent())
                .max(Comparator.comparing(b -> b.lastUnrunVerification().orElseThrow().at()));
        lastUnrun.ifPresent(b -> {
            BackupMetadata.Verification v = b.lastUnrunVerification().orElseThrow();
            details.put("lastUnrunVerificationBackup", b.id());
            details.put("lastUnrunVerificationAt", v.at().toString());
            details.put("lastUnrunVerificationMessage", v.message());
        });
        String problem = null;
        if (age == null) {
            problem = backups.isEmpty() ? "no backup of " + database : "no verified backup of " + database
                    + lastUnrun.map(b -> " (the last verification, of " + b.id() + ", could not run: "
                            + b.lastUnrunVerification().orElseThrow().message() + ")").orElse("");
        } else if (age.compareTo(maxAge) > 0) {
            problem = "the newest verified backup is " + age.toHours() + " h old, older than DB_BACKUP_MAX_AGE " + maxAge;
        } else if (lastChecked.isPresent() && !lastChecked.get().verified()) {
            problem = "the last verification (of " + lastChecked.get().id() + ") failed";
        }
        if (problem != null) {
            details.put("reason", problem);
            return ComponentHealth.degraded(details);
        }
        return ComponentHealth.up(details);
    }
}
