package io.reactivedb.backup;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What verification and restore share: checking a backup's file (checksums, key), restoring it
 * into a database of its own with {@code pg_restore} while checking the archive's hash, counting
 * its rows and comparing them with the dump's snapshot. The database is dropped afterwards unless
 * a restore swaps it in for its target.
 */
final class ScratchRestore {

    private static final Logger log = LoggerFactory.getLogger(ScratchRestore.class);
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_IDENTIFIER = 63;
    /** A {@code pg_restore -l} line of an extension or its comment: {@code 3363; 3079 16390 EXTENSION - name}. */
    private static final Pattern EXTENSION_ENTRY = Pattern.compile("^\\d+; \\d+ \\d+ (?:EXTENSION - |COMMENT - EXTENSION )(\\S+)");

    private final BackupSettings settings;
    private final BackupStore store;
    private final ServerAccess server;
    private final Supplier<PgTools> tools;

    ScratchRestore(BackupSettings settings, BackupStore store, ServerAccess server, Supplier<PgTools> tools) {
        this.settings = settings;
        this.store = store;
        this.server = server;
        this.tools = tools;
    }

    /** The file is the one written, and it can be decrypted with the configured key. Blocking. */
    void checkFile(BackupMetadata backup) {
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

    /** The rows counted after a verification's restore, and what it left out (text to append to the message). */
    record Restored(Map<String, Long> rows, String note) {
    }

    /**
     * Verification: restores into the scratch database {@code database} and counts its rows; the
     * database is dropped afterwards. Extensions the login may not create (untrusted ones, unless it is
     * a superuser: {@code pg_stat_statements} in a dump made by a backup role) are left out of the
     * restore and named in the note; the tables, whose rows are counted, are all restored. When the
     * scratch database cannot be created, or the tools cannot be found, the check could not run:
     * {@link VerificationNotRunException}.
     */
    Mono<Restored> verifyCounted(BackupMetadata backup, String database) {
        Mono<PgTools> located = Mono.fromCallable(tools::get).subscribeOn(Schedulers.boundedElastic())
                .onErrorMap(BackupException.class, e -> new VerificationNotRunException("could not run the verification: " + e.getMessage(), e));
        Mono<String> created = server.createDatabase(database, Optional.empty())
                .onErrorMap(e -> !(e instanceof VerificationNotRunException), e -> new VerificationNotRunException(
                        "could not create the scratch database " + database + " as " + server.server().username() + " on " + server.describe()
                                + " (verification needs a login with CREATEDB): " + e.getMessage(), e))
                .thenReturn(database);
        return located.then(Mono.usingWhen(created,
                scratchDb -> server.with(scratchDb, ServerAccess::uncreatableExtensions).collectList()
                        .flatMap(refused -> Mono.fromCallable(() -> {
                                    List<String> left = streamInto(backup, scratchDb, false, new TreeSet<>(refused));
                                    return left;
                                }).subscribeOn(Schedulers.boundedElastic()))
                        .flatMap(left -> server.with(scratchDb, connection -> ServerAccess.countRows(connection).flux()).single()
                                .map(rows -> new Restored(rows, left.isEmpty() ? "" : "; left out extension(s) " + String.join(", ", left)
                                        + ", which this login may not create"))),
                server::dropDatabase,
                (scratchDb, error) -> server.dropDatabase(scratchDb),
                server::dropDatabase));
    }

    /**
     * Creates {@code database}, restores the backup into it and counts its rows. Verification
     * ({@code replace} null) drops it afterwards; a restore renames it to {@code replace} after the
     * counts matched, and drops it when anything failed before that.
     */
    Mono<Map<String, Long>> restoreCounted(BackupMetadata backup, String database, boolean keepOwnership, Optional<String> owner,
                                                   @Nullable String replace) {
        AtomicBoolean swapped = new AtomicBoolean();
        return Mono.usingWhen(server.createDatabase(database, owner).thenReturn(database),
                created -> Mono.fromCallable(() -> {
                            streamInto(backup, created, keepOwnership, Set.of());
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
    private List<String> streamInto(BackupMetadata backup, String database, boolean keepOwnership, Set<String> refusedExtensions) {
        Path list = null;
        try {
            List<String> leftOut = new ArrayList<>();
            if (!refusedExtensions.isEmpty()) {
                List<String> toc;
                try (PgTools.Tool lister = tools.get().list()) {
                    toc = pipe(backup, lister, true);
                    lister.awaitSuccess(settings.timeout());
                }
                List<String> kept = new ArrayList<>();
                for (String line : toc) {
                    Matcher m = EXTENSION_ENTRY.matcher(line);
                    if (m.find() && refusedExtensions.contains(m.group(1))) {
                        if (!leftOut.contains(m.group(1))) {
                            leftOut.add(m.group(1));
                        }
                    } else {
                        kept.add(line);
                    }
                }
                if (!leftOut.isEmpty()) {
                    list = Files.createTempFile("reactive-db-restore-", ".list",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.write(list, kept, StandardCharsets.UTF_8);
                }
            }
            try (PgTools.Tool restore = tools.get().restore(database, keepOwnership, Optional.ofNullable(list))) {
                pipe(backup, restore, false);
                restore.awaitSuccess(settings.timeout());
            }
            return leftOut;
        } catch (IOException e) {
            throw new BackupException("could not write the restore list of backup " + backup.id() + ": " + e.getMessage(), e);
        } finally {
            if (list != null) {
                try {
                    Files.deleteIfExists(list);
                } catch (IOException e) {
                    log.debug("Could not delete {}: {}", list, e.toString());
                }
            }
        }
    }

    /**
     * Streams the archive (decrypted, decompressed) into a tool's standard input; with
     * {@code readOutput}, returns its standard output's lines (read beside the writing). The archive's
     * SHA-256 is checked before the tool's exit code: when damaged data got past gzip, the tool's
     * failure ("out of memory" on a garbage length) is not the story, the damage is. So when the tool
     * stops early, the rest of the archive is still read to finish the hash. Blocking.
     */
    private List<String> pipe(BackupMetadata backup, PgTools.Tool tool, boolean readOutput) {
        Path file = store.dataFile(backup);
        MessageDigest digest = Tap.sha256();
        CompletableFuture<List<String>> output = readOutput
                ? CompletableFuture.supplyAsync(() -> {
                    try {
                        return new String(tool.stdout().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, Schedulers.boundedElastic()::schedule)
                : CompletableFuture.completedFuture(List.of());
        OutputStream sink = tool.stdin();
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
                        // The tool stopped reading; its exit code and output say why, unless the archive is damaged.
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
                log.debug("Closing the input of a tool failed: {}", e.toString());
            }
        }
        String actual = Tap.hex(digest.digest());
        if (!actual.equals(backup.dumpSha256())) {
            throw BackupIntegrityException.corrupt("the archive of backup " + backup.id() + " has SHA-256 " + actual + " but "
                    + backup.dumpSha256() + " was recorded at dump time: the backup is damaged");
        }
        try {
            return output.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException("interrupted while reading the contents of backup " + backup.id(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new BackupException("could not read the contents of backup " + backup.id() + ": " + e, e);
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

    private static Set<String> union(Map<String, Long> a, Map<String, Long> b) {
        Set<String> all = new HashSet<>(a.keySet());
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
}
