package io.reactivedb.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a backup holds, written next to it as {@code <id>.json}.
 *
 * @param id             the backup's name: source database and UTC time, for example {@code app-20261123T152400123Z}
 * @param kind           a regular backup, or the one taken of a database just before a restore replaced it
 * @param createdAt      when the dump's snapshot was taken
 * @param took           how long the dump took
 * @param database       the source database
 * @param server         the source server, {@code host:port}
 * @param serverVersion  the source server's {@code server_version}
 * @param pgDumpVersion  the first line of {@code pg_dump --version}
 * @param file           the data file's name in the backup folder
 * @param sizeBytes      the data file's size
 * @param dumpBytes      the size of the {@code pg_dump} custom-format archive before compression
 * @param sha256         SHA-256 of the data file, hex (also in {@code <id>.sha256}, {@code sha256sum -c} format)
 * @param dumpSha256     SHA-256 of the archive before compression and encryption, hex
 * @param encrypted      whether the data file is encrypted (AES-256-GCM in chunks, see {@link EncryptionKey})
 * @param compression    {@code gzip}
 * @param tableRows      exact row count of every table, {@code schema.table}, counted in the dump's snapshot
 * @param lastVerification the most recent verification of this backup that ran (passed or failed), if any
 * @param lastUnrunVerification the most recent verification that could not run (its {@code passed} is false),
 *                       when it is newer than {@code lastVerification}; it says nothing about the backup
 */
public record BackupMetadata(String id, Kind kind, Instant createdAt, Duration took, String database, String server,
                             String serverVersion, String pgDumpVersion, String file, long sizeBytes, long dumpBytes,
                             String sha256, String dumpSha256, boolean encrypted, String compression,
                             Map<String, Long> tableRows, Optional<Verification> lastVerification,
                             Optional<Verification> lastUnrunVerification) {

    static final int FORMAT = 1;

    /** Metadata without a verification that could not run. */
    public BackupMetadata(String id, Kind kind, Instant createdAt, Duration took, String database, String server,
                          String serverVersion, String pgDumpVersion, String file, long sizeBytes, long dumpBytes,
                          String sha256, String dumpSha256, boolean encrypted, String compression,
                          Map<String, Long> tableRows, Optional<Verification> lastVerification) {
        this(id, kind, createdAt, took, database, server, serverVersion, pgDumpVersion, file, sizeBytes, dumpBytes, sha256, dumpSha256,
                encrypted, compression, tableRows, lastVerification, Optional.empty());
    }

    /** Why a backup was taken. */
    public enum Kind {
        /** Asked for ({@code backup}). */
        REGULAR,
        /** Taken of the target database by {@code restore}, before it was replaced. */
        PRE_RESTORE
    }

    /**
     * The outcome of one verification.
     *
     * @param message what was checked, or why it failed
     */
    public record Verification(Instant at, boolean passed, String message) {
        public Verification {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(message, "message");
        }
    }

    public BackupMetadata {
        tableRows = Collections.unmodifiableMap(new LinkedHashMap<>(tableRows));
        Objects.requireNonNull(lastVerification, "lastVerification");
        Objects.requireNonNull(lastUnrunVerification, "lastUnrunVerification");
    }

    /** Whether the most recent verification passed. */
    public boolean verified() {
        return lastVerification.map(Verification::passed).orElse(false);
    }

    BackupMetadata withVerification(Verification verification) {
        return new BackupMetadata(id, kind, createdAt, took, database, server, serverVersion, pgDumpVersion, file, sizeBytes, dumpBytes,
                sha256, dumpSha256, encrypted, compression, tableRows, Optional.of(verification), Optional.empty());
    }

    /** Records a verification that could not run, keeping the last one that did. */
    BackupMetadata withUnrunVerification(Verification attempt) {
        return new BackupMetadata(id, kind, createdAt, took, database, server, serverVersion, pgDumpVersion, file, sizeBytes, dumpBytes,
                sha256, dumpSha256, encrypted, compression, tableRows, lastVerification, Optional.of(attempt));
    }

    String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", (long) FORMAT);
        json.put("id", id);
        json.put("kind", kind.name());
        json.put("createdAt", createdAt.toString());
        json.put("tookMillis", took.toMillis());
        json.put("database", database);
        json.put("server", server);
        json.put("serverVersion", serverVersion);
        json.put("pgDumpVersion", pgDumpVersion);
        json.put("file", file);
        json.put("sizeBytes", sizeBytes);
        json.put("dumpBytes", dumpBytes);
        json.put("sha256", sha256);
        json.put("dumpSha256", dumpSha256);
        json.put("encrypted", encrypted);
        json.put("compression", compression);
        json.put("tableRows", new LinkedHashMap<String, Object>(tableRows));
        lastVerification.ifPresent(v -> {
            Map<String, Object> verification = new LinkedHashMap<>();
            verification.put("at", v.at().toString());
            verification.put("passed", v.passed());
            verification.put("message", v.message());
            json.put("lastVerification", verification);
        });
        lastUnrunVerification.ifPresent(v -> {
            Map<String, Object> attempt = new LinkedHashMap<>();
            attempt.put("at", v.at().toString());
            attempt.put("message", v.message());
            json.put("lastUnrunVerification", attempt);
        });
        return Json.write(json);
    }

    /** @throws IllegalArgumentException naming the field when the text is not metadata of a known format */
    static BackupMetadata fromJson(String text) {
        Object parsed = Json.read(text);
        if (!(parsed instanceof Map<?, ?> json)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        long format = number(json, "format");
        if (format != FORMAT) {
            throw new IllegalArgumentException("unknown metadata format " + format);
        }
        Map<String, Long> rows = new LinkedHashMap<>();
        Object tables = json.get("tableRows");
        if (!(tables instanceof Map<?, ?> tableMap)) {
            throw new IllegalArgumentException("tableRows is missing");
        }
        tableMap.forEach((name, count) -> {
            if (!(count instanceof Long n)) {
                throw new IllegalArgumentException("tableRows." + name + " is not an integer");
            }
            rows.put(String.valueOf(name), n);
        });
        Optional<Verification> verification = Optional.empty();
        if (json.get("lastVerification") instanceof Map<?, ?> v) {
            verification = Optional.of(new Verification(Instant.parse(text(v, "at")), bool(v, "passed"), text(v, "message")));
        }
        Optional<Verification> unrun = Optional.empty();
        if (json.get("lastUnrunVerification") instanceof Map<?, ?> v) {
            unrun = Optional.of(new Verification(Instant.parse(text(v, "at")), false, text(v, "message")));
        }
        return new BackupMetadata(text(json, "id"), Kind.valueOf(text(json, "kind")), Instant.parse(text(json, "createdAt")),
                Duration.ofMillis(number(json, "tookMillis")), text(json, "database"), text(json, "server"), text(json, "serverVersion"),
                text(json, "pgDumpVersion"), text(json, "file"), number(json, "sizeBytes"), number(json, "dumpBytes"), text(json, "sha256"),
                text(json, "dumpSha256"), bool(json, "encrypted"), text(json, "compression"), rows, verification, unrun);
    }

    private static String text(Map<?, ?> json, String field) {
        if (json.get(field) instanceof String value) {
            return value;
        }
        throw new IllegalArgumentException(field + " is missing or not a string");
    }

    private static long number(Map<?, ?> json, String field) {
        if (json.get(field) instanceof Long value) {
            return value;
        }
        throw new IllegalArgumentException(field + " is missing or not an integer");
    }

    private static boolean bool(Map<?, ?> json, String field) {
        if (json.get(field) instanceof Boolean value) {
            return value;
        }
        throw new IllegalArgumentException(field + " is missing or not true/false");
    }

}
