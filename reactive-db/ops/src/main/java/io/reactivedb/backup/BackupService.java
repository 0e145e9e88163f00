package io.reactivedb.backup;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.EnvironmentSettings;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
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
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_IDENTIFIER = 63;

    private final BackupSettings settings;
    private final EndpointSettings primary;
    private final Scheduler scheduler;
    private final Clock clock;
    private final BackupStore store;
    private final ServerAccess server;
    private final AtomicReference<@Nullable PgTools> tools = new AtomicReference<>();

    private BackupService(Builder builder) {
        this.settings = builder.settings;
        this.primary = builder.primary;
        this.scheduler = builder.scheduler;
        this.clock = builder.clock;
        this.store = new BackupStore(settings.directory());
        this.server = new ServerAccess(primary, settings.maintenanceDatabase());
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
        return backupOf(primary.database(), BackupMetadata.Kind.REGULAR);
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
     * key, decryption, {@code pg_restore}, row counts) completes with a result that did not pass and
     * says why; the Mono fails only when there is no such backup.
     */
    public Mono<VerificationResult> verify(String backupId) {
        return Mono.fromCallable(() -> store.get(backupId)).subscribeOn(Schedulers.boundedElastic())
                .flatMap(this::verify);
    }

    private Mono<VerificationResult> verify(BackupMetadata backup) {
        Instant at = clock.instant();
        long started = System.nanoTime();
        return Mono.fromRunnable(() -> checkFile(backup)).subscribeOn(Schedulers.boundedElastic())
                .then(Mono.defer(() -> restoreCounted(backup, scratchName(backup.database(), "verify"), false, Optional.empty(), null)))
                .map(restored -> {
                    List<String> mismatches = compare(backup.tableRows(), restored);
                    long rows = restored.values().stream().mapToLong(Long::longValue).sum();
                    String message = mismatches.isEmpty()
                            ? "checksum ok; restored " + restored.size() + " tables (" + rows + " rows) into a scratch database; every row count"
                                    + " matches the dump's snapshot"
                            : "row counts differ from the dump's snapshot: " + String.join("; ", mismatches);
                    return new VerificationResult(backup.id(), mismatches.isEmpty(), at, elapsed(started), message, backup.tableRows(),
                            restored, mismatches);
                })
                .onErrorResume(Exception.class, e -> Mono.just(new VerificationResult(backup.id(), false, at, elapsed(started),
                        String.valueOf(e.getMessage()), backup.tableRows(), Map.of(), List.of())))
                .timeout(settings.timeout(), scheduler)
                .flatMap(result -> Mono.fromCallable(() -> {
                    store.writeMetadata(backup.withVerification(new BackupMetadata.Verification(result.at(), result.passed(), result.message())));
                    if (result.passed()) {
                        log.info("Backup {} verified: {}", backup.id(), result.message());
                    } else {
                        log.warn("Backup {} failed verification: {}", backup.id(), result.message());
                    }
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
                    checkFile(backup);
                    return backup;
                }).subscribeOn(Schedulers.boundedElastic())
                .flatMap(backup -> server.owner(targetDatabase).flatMap(owner -> {
                    Mono<Optional<String>> before = owner.isPresent()
                            ? backupOf(targetDatabase, BackupMetadata.Kind.PRE_RESTORE).ofType(BackupEvent.Completed.class)
                                    .map(done -> Optional.of(done.backup().id())).single()
                            : Mono.just(Optional.empty());
                    return before.flatMap(preRestore -> restoreCounted(backup, scratchName(targetDatabase, "restore"), true, owner,
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
        return Mono.fromCallable(this::pruneNow).subscribeOn(Schedulers.boundedElastic());
    }

    private PruneReport pruneNow() {
        Instant cutoff = clock.instant().minus(settings.retention());
        List<BackupMetadata> backups = store.list();
        Map<String, String> newestVerified = new HashMap<>();
        for (BackupMetadata backup : backups) {
            if (backup.verified()) {
                newestVerified.putIfAbsent(backup.database(), backup.id());
            }
        }
        List<String> deleted = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (BackupMetadata backup : backups) {
            if (backup.createdAt().isBefore(cutoff) && !backup.id().equals(newestVerified.get(backup.database()))) {
                store.delete(backup);
                deleted.add(backup.id());
                log.info("Deleted backup {} of {} (older than {} days)", backup.id(), backup.createdAt(), settings.retentionDays());
            } else {
                kept.add(backup.id());
            }
        }
        int parts = 0;
        for (Path part : store.staleParts(cutoff)) {
            PgTools.deleteQuietly(part);
            parts++;
        }
        return new PruneReport(deleted, kept, parts);
    }

    // ---- backup ----

    private Flux<BackupEvent> backupOf(String database, BackupMetadata.Kind kind) {
        return Mono.fromCallable(() -> {
                    store.ensureDirectory();
                    PgTools located = tools();
                    located.pgDumpVersion();
                    Instant at = clock.instant();
                    return new Prepared(located, store.newId(database, at), at);
                })
                .subscribeOn(Schedulers.boundedElastic())
                .flatMapMany(prepared -> server.with(database, connection -> snapshot(connection)
                        .flatMapMany(snapshot -> dump(prepared, database, kind, snapshot))))
                .transformDeferred(events -> {
                    // One deadline for the whole backup: Flux.timeout(Duration) would restart at every progress event.
                    Mono<Long> deadline = Mono.delay(settings.timeout(), scheduler).cache();
                    return events.timeout(deadline, event -> deadline, Flux.error(() -> new BackupException("the backup of " + database
                            + " did not finish within " + settings.timeout() + "; pg_dump was stopped")));
                });
    }

    private record Prepared(PgTools tools, String id, Instant at) {
    }

    private record Snapshot(String id, String serverVersion, Map<String, Long> tableRows) {
    }

    private static Mono<Snapshot> snapshot(PostgresqlConnection connection) {
        return ServerAccess.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .then(connection.createStatement("SELECT pg_export_snapshot(), current_setting('server_version')").execute()
                        .flatMap(result -> result.map(row -> new String[] {row.get(0, String.class), row.get(1, String.class)}))
                        .next())
                .flatMap(exported -> ServerAccess.countRows(connection).map(rows -> new Snapshot(exported[0], exported[1], rows)));
    }

    private Flux<BackupEvent> dump(Prepared prepared, String database, BackupMetadata.Kind kind, Snapshot snapshot) {
        DumpJob job = new DumpJob(prepared, database, kind, snapshot);
        Sinks.One<Boolean> done = Sinks.one();
        AtomicReference<BackupMetadata> result = new AtomicReference<>();
        Mono<BackupEvent> work = Mono.fromCallable(job::run)
                .subscribeOn(Schedulers.boundedElastic())
                .doOnCancel(job::cancel)
                .doOnNext(result::set)
                .doFinally(signal -> done.tryEmitValue(Boolean.TRUE))
                .then(Mono.empty());
        long startedAt = scheduler.now(TimeUnit.MILLISECONDS);
        Flux<BackupEvent> progress = Flux.interval(settings.progressInterval(), scheduler)
                .map(tick -> (BackupEvent) new BackupEvent.Progress(clock.instant(), prepared.id(), job.dumped.get(), job.written.get(),
                        Duration.ofMillis(scheduler.now(TimeUnit.MILLISECONDS) - startedAt)))
                .doOnNext(event -> {
                    BackupEvent.Progress p = (BackupEvent.Progress) event;
                    log.info("Backup {}: {} dumped, {} written after {} s", p.backupId(), bytes(p.dumpBytes()), bytes(p.writtenBytes()),
                            p.elapsed().toSeconds());
                })
                .onBackpressureDrop()
                .takeUntilOther(done.asMono());
        BackupEvent started = new BackupEvent.Started(clock.instant(), prepared.id(), database, snapshot.tableRows());
        // Completed only after the merge has ended, which is after the last progress tick: emitted
        // from the dump's own signal, a tick could still slip in behind it.
        return Flux.concat(Mono.just(started), Flux.merge(progress, work),
                Mono.fromSupplier(() -> new BackupEvent.Completed(clock.instant(), result.get())));
    }

    /** One dump, blocking; {@link #cancel()} from any thread stops it. */
    private final class DumpJob {
        final AtomicLong dumped = new AtomicLong();
        final AtomicLong written = new AtomicLong();
        private final Prepared prepared;
        private final String database;
        private final BackupMetadata.Kind kind;
        private final Snapshot snapshot;
        private final AtomicReference<PgTools.@Nullable Tool> tool = new AtomicReference<>();
        private volatile boolean cancelled;

        DumpJob(Prepared prepared, String database, BackupMetadata.Kind kind, Snapshot snapshot) {
            this.prepared = prepared;
            this.database = database;
            this.kind = kind;
            this.snapshot = snapshot;
        }

        void cancel() {
            cancelled = true;
            PgTools.Tool running = tool.get();
            if (running != null) {
                running.kill();
            }
        }

        BackupMetadata run() throws IOException {
            boolean encrypted = settings.encryptionKey().isPresent();
            String fileName = BackupStore.dataFileName(prepared.id(), encrypted);
            Path target = store.directory().resolve(fileName);
            Path partial = store.directory().resolve(fileName + BackupStore.PARTIAL);
            MessageDigest dumpDigest = Tap.sha256();
            MessageDigest fileDigest = Tap.sha256();
            long started = System.nanoTime();
            boolean moved = false;
            try (PgTools.Tool running = prepared.tools().dump(database, snapshot.id())) {
                tool.set(running);
                if (cancelled) {
                    running.kill();
                }
                FileChannel channel = FileChannel.open(partial, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        BackupStore.ownerOnlyFile());
                try (InputStream in = running.stdout();
                     GZIPOutputStream gzip = new GZIPOutputStream(sealed(new Tap(new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER),
                             fileDigest, written, channel)), BUFFER)) {
                    byte[] buffer = new byte[BUFFER];
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        dumpDigest.update(buffer, 0, n);
                        dumped.addAndGet(n);
                        gzip.write(buffer, 0, n);
                    }
                } finally {
                    channel.close();
                }
                if (cancelled) {
                    throw new BackupException("the backup of " + database + " was cancelled");
                }
                running.awaitSuccess(settings.timeout());
                move(partial, target);
                moved = true;
            } finally {
                if (!moved) {
                    PgTools.deleteQuietly(partial);
                }
            }
            BackupMetadata backup = new BackupMetadata(prepared.id(), kind, prepared.at(), elapsed(started), database, server.describe(),
                    snapshot.serverVersion(), prepared.tools().pgDumpVersion(), fileName, written.get(), dumped.get(), Tap.hex(fileDigest.digest()),
                    Tap.hex(dumpDigest.digest()), encrypted, "gzip", snapshot.tableRows(), Optional.empty());
            store.write(backup);
            log.info("Backup {} of {} complete: {} ({} archive, {} tables){}", backup.id(), database, bytes(backup.sizeBytes()),
                    bytes(backup.dumpBytes()), backup.tableRows().size(), encrypted ? ", encrypted" : "");
            if (kind == BackupMetadata.Kind.REGULAR) {
                try {
                    pruneNow();
                } catch (BackupException e) {
                    log.warn("Retention after backup {} failed: {}", backup.id(), e.getMessage());
                }
            }
            return backup;
        }

        private OutputStream sealed(OutputStream fileSide) throws IOException {
            Optional<EncryptionKey> key = settings.encryptionKey();
            return key.isPresent() ? ChunkedCipher.encrypting(fileSide, key.get()) : fileSide;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    // ---- verification and restore ----

    /** The file is the one written, and it can be decrypted with the configured key. Blocking. */
    private void checkFile(BackupMetadata backup) {
        Path file = store.dataFile(backup);
        if (!Files.isRegularFile(file)) {
            throw BackupIntegrityException.corrupt("the data file " + file + " of backup " + backup.id() + " is missing");
        }
        MessageDigest digest = Tap.sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BackupException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String actual = Tap.hex(digest.digest());
        Optional<String> recorded = store.recordedChecksum(backup.id());
        if (!actual.equals(backup.sha256()) || recorded.isPresent() && !recorded.get().equals(backup.sha256())) {
            throw BackupIntegrityException.corrupt("checksum mismatch: " + file.getFileName() + " has SHA-256 " + actual + " but backup "
                    + backup.id() + " recorded " + recorded.orElse(backup.sha256()) + "; the file is damaged or was altered");
        }
        if (backup.encrypted()) {
            EncryptionKey key = settings.encryptionKey().orElseThrow(() -> BackupIntegrityException.key("backup " + backup.id()
                    + " is encrypted and no BACKUP_ENCRYPTION_KEY is configured"));
            try (InputStream in = ChunkedCipher.decrypting(Files.newInputStream(file), key)) {
                // Opening checks the header and the key.
            } catch (IOException e) {
                throw new BackupException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Creates {@code database}, restores the backup into it and counts its rows. Verification
     * ({@code replace} null) drops it afterwards; a restore renames it to {@code replace} after the
     * counts matched, and drops it when anything failed before that.
     */
    private Mono<Map<String, Long>> restoreCounted(BackupMetadata backup, String database, boolean keepOwnership, Optional<String> owner,
                                                   @Nullable String replace) {
        AtomicBoolean swapped = new AtomicBoolean();
        return Mono.usingWhen(server.createDatabase(database, owner).thenReturn(database),
                created -> Mono.fromCallable(() -> {
                            streamInto(backup, created, keepOwnership);
                            return created;
                        })
                        .subscribeOn(Schedulers.boundedElastic())
                        .then(server.with(created, connection -> ServerAccess.countRows(connection).flux()).single())
                        .flatMap(rows -> {
                            if (replace == null) {
                                return Mono.just(rows);
                            }
                            List<String> mismatches = compare(backup.tableRows(), rows);
                            if (!mismatches.isEmpty()) {
                                return Mono.error(new BackupException("restored " + backup.id() + " into a staging database, but row counts"
                                        + " differ from the dump's snapshot (" + String.join("; ", mismatches) + "); database " + replace
                                        + " was left as it was"));
                            }
                            swapped.set(true);
                            return server.dropDatabase(replace)
                                    .then(server.renameDatabase(created, replace))
                                    .onErrorMap(e -> new BackupException("database " + replace + " was dropped but renaming the restored"
                                            + " database " + created + " to it failed: " + e.getMessage() + "; the restored data is in " + created, e))
                                    .thenReturn(rows);
                        }),
                created -> swapped.get() ? Mono.empty() : server.dropDatabase(created),
                (created, error) -> swapped.get() ? Mono.empty() : server.dropDatabase(created),
                created -> swapped.get() ? Mono.empty() : server.dropDatabase(created));
    }

    /**
     * Streams the archive (decrypted, decompressed) into {@code pg_restore}. Blocking. The archive's
     * SHA-256 is checked before {@code pg_restore}'s exit code: when damaged data got past gzip,
     * the tool's failure ("out of memory" on a garbage length) is not the story, the damage is. So
     * when {@code pg_restore} stops early, the rest of the archive is still read to finish the hash.
     */
    private void streamInto(BackupMetadata backup, String database, boolean keepOwnership) {
        Path file = store.dataFile(backup);
        MessageDigest digest = Tap.sha256();
        try (PgTools.Tool restore = tools().restore(database, keepOwnership)) {
            OutputStream sink = restore.stdin();
            boolean sinkOpen = true;
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER);
                 InputStream plain = backup.encrypted() ? ChunkedCipher.decrypting(raw, settings.encryptionKey().orElseThrow()) : raw;
                 InputStream archive = new GZIPInputStream(plain, BUFFER)) {
                byte[] buffer = new byte[BUFFER];
                int n;
                while ((n = archive.read(buffer)) >= 0) {
                    digest.update(buffer, 0, n);
                    if (sinkOpen) {
                        try {
                            sink.write(buffer, 0, n);
                        } catch (IOException e) {
                            // pg_restore stopped reading; its exit code and output say why, unless the archive is damaged.
                            sinkOpen = false;
                        }
                    }
                }
            } catch (EOFException | ZipException e) {
                throw BackupIntegrityException.corrupt("the compressed archive of backup " + backup.id() + " is damaged: " + e.getMessage());
            } catch (IOException e) {
                throw new BackupException("reading backup " + backup.id() + " from " + file + " failed: " + e.getMessage(), e);
            } finally {
                try {
                    sink.close();
                } catch (IOException e) {
                    log.debug("Closing the input of pg_restore failed: {}", e.toString());
                }
            }
            String actual = Tap.hex(digest.digest());
            if (!actual.equals(backup.dumpSha256())) {
                throw BackupIntegrityException.corrupt("the archive of backup " + backup.id() + " has SHA-256 " + actual + " but "
                        + backup.dumpSha256() + " was recorded at dump time: the backup is damaged");
            }
            restore.awaitSuccess(settings.timeout());
        }
    }

    static List<String> compare(Map<String, Long> expected, Map<String, Long> actual) {
        List<String> mismatches = new ArrayList<>();
        for (String table : new TreeSet<>(union(expected, actual))) {
            Long want = expected.get(table);
            Long got = actual.get(table);
            if (want == null) {
                mismatches.add(table + ": not in the dump's snapshot but restored with " + got + " rows");
            } else if (got == null) {
                mismatches.add(table + ": " + want + " rows at dump time but missing after the restore");
            } else if (!want.equals(got)) {
                mismatches.add(table + ": " + want + " rows at dump time, " + got + " restored");
            }
        }
        return mismatches;
    }

    private static java.util.Set<String> union(Map<String, Long> a, Map<String, Long> b) {
        java.util.Set<String> all = new java.util.HashSet<>(a.keySet());
        all.addAll(b.keySet());
        return all;
    }

    /** A database name that fits in 63 bytes: {@code <base>_<purpose>_<8 hex>}. */
    static String scratchName(String base, String purpose) {
        String suffix = "_" + purpose + "_" + String.format("%08x", ThreadLocalRandom.current().nextInt());
        String prefix = base.replaceAll("[^A-Za-z0-9_]", "_");
        if (prefix.length() + suffix.length() > MAX_IDENTIFIER) {
            prefix = prefix.substring(0, MAX_IDENTIFIER - suffix.length());
        }
        return prefix + suffix;
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
