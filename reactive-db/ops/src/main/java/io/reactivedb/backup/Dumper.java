package io.reactivedb.backup;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import java.io.BufferedOutputStream;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * One backup of a database: its snapshot and row counts over r2dbc, {@code pg_dump} of that
 * snapshot streamed through SHA-256, gzip and optional encryption into the backup folder, the
 * metadata, then retention (regular backups only). Progress ticks and the single deadline run on
 * the scheduler, the dump on {@code boundedElastic}.
 */
final class Dumper {

    private static final Logger log = LoggerFactory.getLogger(Dumper.class);
    private static final int BUFFER = 64 * 1024;

    private final BackupSettings settings;
    private final BackupStore store;
    private final ServerAccess server;
    private final Supplier<PgTools> tools;
    private final Retention retention;
    private final Scheduler scheduler;
    private final Clock clock;

    Dumper(BackupSettings settings, BackupStore store, ServerAccess server, Supplier<PgTools> tools, Retention retention,
           Scheduler scheduler, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.server = server;
        this.tools = tools;
        this.retention = retention;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /** Started, progress and completed events of one backup of {@code database}; fails after {@link BackupSettings#timeout()}. */
    Flux<BackupEvent> backup(String database, BackupMetadata.Kind kind) {
        return Mono.fromCallable(() -> {
                    store.ensureDirectory();
                    PgTools located = tools.get();
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
                    log.info("Backup {}: {} dumped, {} written after {} s", p.backupId(), BackupService.bytes(p.dumpBytes()), BackupService.bytes(p.writtenBytes()),
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
            log.info("Backup {} of {} complete: {} ({} archive, {} tables){}", backup.id(), database, BackupService.bytes(backup.sizeBytes()),
                    BackupService.bytes(backup.dumpBytes()), backup.tableRows().size(), encrypted ? ", encrypted" : "");
            if (kind == BackupMetadata.Kind.REGULAR) {
                try {
                    retention.prune();
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

    private static Duration elapsed(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }
}
