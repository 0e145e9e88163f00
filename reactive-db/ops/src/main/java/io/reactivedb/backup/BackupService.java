package io.reactivedb.backup;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.EnvironmentSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Backups of one database on the primary with {@code pg_dump}, their verification, restore,
 * listing and retention. Every method returns at once; the tools, the files and the hashing run on
 * {@link Schedulers#boundedElastic()}, the SQL over r2dbc, and the progress ticks and the time limit
 * on the service's {@link Scheduler}. Timestamps come from its {@link Clock}.
 *
 * <p><b>Backup.</b> A connection opens a {@code REPEATABLE READ} read-only transaction, exports its
 * snapshot ({@code pg_export_snapshot()}) and counts the rows of every table in it; {@code pg_dump
 * --snapshot} then dumps exactly that snapshot (custom format, uncompressed) to its stdout, which is
 * streamed through SHA-256, gzip, optional encryption ({@link ChunkedCipher}) and a second SHA-256
 * into {@code <id>.pgdump.gz[.enc].partial}, moved into place when {@code pg_dump} succeeded. Then
 * {@code <id>.sha256} and {@code <id>.json} ({@link BackupMetadata}) are written and retention runs.
 * The counts cost a full scan of every table; they are what verification compares with.
 *
 * <p><b>Verification.</b> The file's SHA-256 is checked against the metadata and {@code .sha256},
 * the key against the file's key check; a scratch database is created, the archive streamed
 * (decrypted, decompressed, its own SHA-256 checked) into {@code pg_restore --single-transaction},
 * every table counted and compared, and the scratch database dropped, also on failure. The outcome
 * is stored in the metadata. The connecting user needs {@code CREATEDB}.
 *
 * <p><b>Restore</b> needs {@code confirmed}; it checks the backup as above, takes a
 * {@link BackupMetadata.Kind#PRE_RESTORE} backup of the target database when it exists, restores
 * into a staging database, compares the counts, then drops the target ({@code WITH (FORCE)}: its
 * sessions are ended) and renames the staging database to it. Until that swap the target is
 * untouched. Database-level settings and grants of the target are not carried over.
 */
public final class BackupService {

    private static final Logger log = LoggerFactory.getLogger(BackupService.class);

    private final BackupSettings settings;
    private final EndpointSettings primary;
    private final Scheduler scheduler;
    private final Clock clock;
    private final BackupStore store;
    private final ServerAccess server;
    private final AtomicReference<@Nullable PgTools> tools = new AtomicReference<>();
    private final Retention retention;
    private final Dumper dumper;
    private final ScratchRestore scratch;

    private BackupService(Builder builder) {
        this.settings = builder.settings;
        this.primary = builder.primary;
        this.scheduler = builder.scheduler;
        this.clock = builder.clock;
        this.store = new BackupStore(settings.directory());
        this.server = new ServerAccess(primary, settings.maintenanceDatabase());
        this.retention = new Retention(settings, store, clock);
        this.dumper = new Dumper(settings, store, server, this::tools, retention, scheduler, clock);
        this.scratch = new ScratchRestore(settings, store, server, this::tools);
    }

    /**
     * @param primary the server and database to back up (the router's primary); its user needs
     *                {@code CREATEDB} for verification and restore
     */
    public static Builder builder(BackupSettings settings, EndpointSettings primary) {
        return new Builder(settings, primary);
    }

    /**
     * A service for the primary of {@link EnvironmentSettings#parse(Map)} with
     * {@link BackupSettings#fromEnvironment(Map)}.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public static BackupService fromEnvironment(Map<String, String> env) {
        return builder(BackupSettings.fromEnvironment(env), EnvironmentSettings.parse(env).primary()).build();
    }

    public BackupSettings settings() {
        return settings;
    }

    /** The database this service backs up. */
    public String database() {
        return primary.database();
    }

    Clock clock() {
        return clock;
    }

    /** A health component for the backups of {@link #database()}, judged by this service's settings and clock. */
    public BackupHealth health() {
        return new BackupHealth(settings.directory(), primary.database(), settings.maxAge(), clock);
    }

    /** {@link #backupWithProgress()}, only the resulting backup. */
    public Mono<BackupMetadata> backup() {
        return backupWithProgress().ofType(BackupEvent.Completed.class).map(BackupEvent.Completed::backup).single();
    }

    /**
     * Backs up {@link #database()}: a {@link BackupEvent.Started}, a {@link BackupEvent.Progress}
     * per progress interval while {@code pg_dump} runs (also logged at INFO), then
     * {@link BackupEvent.Completed}; retention runs before it. Cancelling kills {@code pg_dump}
     * and deletes the partial file. Fails with {@link BackupException} after
     * {@link BackupSettings#timeout()}.
     */
    public Flux<BackupEvent> backupWithProgress() {
        return dumper.backup(primary.database(), BackupMetadata.Kind.REGULAR);
    }

    /** Backups in the folder, newest first. */
    public Flux<BackupMetadata> list() {
        return Mono.fromCallable(store::list).subscribeOn(Schedulers.boundedElastic()).flatMapIterable(list -> list);
    }

    /** The newest regular (not pre-restore) backup of {@link #database()}; empty when there is none. */
    public Mono<BackupMetadata> latest() {
        return list().filter(b -> b.database().equals(primary.database()) && b.kind() == BackupMetadata.Kind.REGULAR).next();
    }

    /**
     * Verifies a backup and records the outcome in its metadata. A backup that fails (checksum,
     * key, decryption, {@code pg_restore}, row counts) completes with a {@code FAILED} result that says
     * why; a check that could not run (the login may not create a database, no {@code pg_restore},
     * no connection) completes {@code NOT_RUN} and leaves the backup's recorded verification as it
     * was. The Mono fails only when there is no such backup.
     */
    public Mono<VerificationResult> verify(String backupId) {
        return Mono.fromCallable(() -> store.get(backupId)).subscribeOn(Schedulers.boundedElastic())
                .flatMap(this::verify);
    }

    private Mono<VerificationResult> verify(BackupMetadata backup) {
        Instant at = clock.instant();
        long started = System.nanoTime();
        return Mono.fromRunnable(() -> scratch.checkFile(backup)).subscribeOn(Schedulers.boundedElastic())
                .then(Mono.defer(() -> scratch.verifyCounted(backup, ScratchRestore.scratchName(backup.database(), "verify"))))
                .map(restored -> {
                    List<String> mismatches = ScratchRestore.compare(backup.tableRows(), restored.rows());
                    long rows = restored.rows().values().stream().mapToLong(Long::longValue).sum();
                    String message = mismatches.isEmpty()
                            ? "checksum ok; restored " + restored.rows().size() + " tables (" + rows + " rows) into a scratch database; every"
                                    + " row count matches the dump's snapshot" + restored.note()
                            : "row counts differ from the dump's snapshot: " + String.join("; ", mismatches);
                    return new VerificationResult(backup.id(), mismatches.isEmpty() ? VerificationResult.Outcome.PASSED
                            : VerificationResult.Outcome.FAILED, at, elapsed(started), message, backup.tableRows(), restored.rows(), mismatches);
                })
                .onErrorResume(Exception.class, e -> Mono.just(new VerificationResult(backup.id(),
                        e instanceof VerificationNotRunException ? VerificationResult.Outcome.NOT_RUN : VerificationResult.Outcome.FAILED,
                        at, elapsed(started), String.valueOf(e.getMessage()), backup.tableRows(), Map.of(), List.of())))
                .timeout(settings.timeout(), scheduler)
                .flatMap(result -> Mono.fromCallable(() -> {
                    switch (result.outcome()) {
                        case PASSED -> log.info("Backup {} verified: {}", backup.id(), result.message());
                        case FAILED -> log.warn("Backup {} failed verification: {}", backup.id(), result.message());
                        case NOT_RUN -> log.warn("Backup {} could not be verified (not marked failed): {}", backup.id(), result.message());
                    }
                    // A check that could not run says nothing about the backup: its recorded state stays,
                    // and the attempt is kept beside it for backup health.
                    store.writeMetadata(result.outcome() == VerificationResult.Outcome.NOT_RUN
                            ? backup.withUnrunVerification(new BackupMetadata.Verification(result.at(), false, result.message()))
                            : backup.withVerification(new BackupMetadata.Verification(result.at(), result.passed(), result.message())));
                    return result;
                }).subscribeOn(Schedulers.boundedElastic()));
    }

    /**
     * Restores a backup into {@code targetDatabase}, replacing it (see the class description).
     *
     * @param confirmed must be true; otherwise nothing is done and the Mono fails with
     *                  {@link RestoreNotConfirmedException}
     */
    public Mono<RestoreReport> restore(String backupId, String targetDatabase, boolean confirmed) {
        Objects.requireNonNull(backupId, "backupId");
        Objects.requireNonNull(targetDatabase, "targetDatabase");
        if (!confirmed) {
            return Mono.error(new RestoreNotConfirmedException("restoring backup " + backupId + " replaces database " + targetDatabase
                    + " (after a pre-restore backup of it); it needs an explicit confirmation (BackupCli: --confirm). Nothing was changed."));
        }
        long started = System.nanoTime();
        return Mono.fromCallable(() -> {
                    BackupMetadata backup = store.get(backupId);
                    scratch.checkFile(backup);
                    return backup;
                }).subscribeOn(Schedulers.boundedElastic())
                .flatMap(backup -> server.owner(targetDatabase).flatMap(owner -> {
                    Mono<Optional<String>> before = owner.isPresent()
                            ? dumper.backup(targetDatabase, BackupMetadata.Kind.PRE_RESTORE).ofType(BackupEvent.Completed.class)
                                    .map(done -> Optional.of(done.backup().id())).single()
                            : Mono.just(Optional.empty());
                    return before.flatMap(preRestore -> scratch.restoreCounted(backup, ScratchRestore.scratchName(targetDatabase, "restore"), true, owner,
                            targetDatabase)
                            .map(rows -> new RestoreReport(backup.id(), targetDatabase, preRestore, owner.isPresent(), rows, elapsed(started))));
                }))
                .timeout(settings.timeout(), scheduler)
                .doOnNext(report -> log.info("{}", report.describe()));
    }

    /**
     * Deletes the backups (of any database) created more than {@link BackupSettings#retentionDays()}
     * before now, and leftovers of interrupted backups as old; the newest verified backup of each
     * database is kept whatever its age, so retention never leaves a database without one.
     */
    public Mono<PruneReport> prune() {
        return Mono.fromCallable(retention::prune).subscribeOn(Schedulers.boundedElastic());
    }

    private PgTools tools() {
        PgTools located = tools.get();
        if (located == null) {
            located = PgTools.locate(settings.binDir(), primary);
            tools.compareAndSet(null, located);
        }
        return located;
    }

    private static Duration elapsed(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    @Override
    public String toString() {
        return "BackupService[" + primary.describe() + ", " + settings.directory() + "]";
    }

    /** Builds a {@link BackupService}. */
    public static final class Builder {
        private final BackupSettings settings;
        private final EndpointSettings primary;
        private Scheduler scheduler = Schedulers.parallel();
        private Clock clock = Clock.systemUTC();

        private Builder(BackupSettings settings, EndpointSettings primary) {
            this.settings = Objects.requireNonNull(settings, "settings");
            this.primary = Objects.requireNonNull(primary, "primary");
        }

        /** Progress ticks and the time limit; default {@link Schedulers#parallel()}. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Backup times, retention and progress timestamps; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public BackupService build() {
            return new BackupService(this);
        }
    }
}
