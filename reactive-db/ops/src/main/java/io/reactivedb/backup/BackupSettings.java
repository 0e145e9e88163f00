package io.reactivedb.backup;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How backups are made, kept and judged. Immutable; build with {@link #builder()} or
 * {@link #fromEnvironment(Map)}.
 *
 * @param directory           where backup files, checksums and metadata go ({@code BACKUP_DIR}); created on first use
 * @param retentionDays       backups older than this many days are deleted by {@code prune}, which
 *                            also runs after every backup ({@code BACKUP_RETENTION_DAYS})
 * @param encryptionKey       encrypt new backups with AES-256-GCM; empty: not encrypted ({@code BACKUP_ENCRYPTION_KEY})
 * @param maxAge              the newest verified backup older than this makes backup health DEGRADED ({@code DB_BACKUP_MAX_AGE})
 * @param progressInterval    how often a running dump reports the bytes so far
 * @param timeout             the longest one backup, verification or restore may take; the tools are killed after it
 * @param maintenanceDatabase the database connected to for {@code CREATE}/{@code DROP DATABASE}
 * @param binDir              the folder of {@code pg_dump} and {@code pg_restore}; empty: found like the
 *                            server binaries ({@code REACTIVE_DB_PG_BIN}, {@code PATH}, {@code /usr/lib/postgresql/<version>/bin})
 */
public record BackupSettings(Path directory, int retentionDays, Optional<EncryptionKey> encryptionKey, Duration maxAge,
                             Duration progressInterval, Duration timeout, String maintenanceDatabase, Optional<Path> binDir) {

    public static final String BACKUP_DIR = SettingsTable.BACKUP_DIR.env();
    public static final String BACKUP_RETENTION_DAYS = SettingsTable.BACKUP_RETENTION_DAYS.env();
    public static final String BACKUP_ENCRYPTION_KEY = SettingsTable.BACKUP_ENCRYPTION_KEY.env();
    public static final String DB_BACKUP_MAX_AGE = SettingsTable.DB_BACKUP_MAX_AGE.env();

    /** Default {@code BACKUP_DIR}: {@code backups}, relative to the working directory. */
    public static final Path DEFAULT_DIRECTORY = Path.of("backups");
    /** Default {@code BACKUP_RETENTION_DAYS}: 7. */
    public static final int DEFAULT_RETENTION_DAYS = 7;
    /** Default {@code DB_BACKUP_MAX_AGE}: 26 hours (a daily backup plus slack). */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(26);
    /** Default progress interval: 10 s. */
    public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(10);
    /** Default operation timeout: 6 hours. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(6);
    /** Default maintenance database: {@code postgres}. */
    public static final String DEFAULT_MAINTENANCE_DATABASE = "postgres";

    public BackupSettings {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(encryptionKey, "encryptionKey");
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(progressInterval, "progressInterval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(maintenanceDatabase, "maintenanceDatabase");
        Objects.requireNonNull(binDir, "binDir");
        Checks.atLeast(BACKUP_RETENTION_DAYS, retentionDays, 1);
        Checks.positive(DB_BACKUP_MAX_AGE, maxAge);
        Checks.positive("backup.progressInterval", progressInterval);
        Checks.positive("backup.timeout", timeout);
    }

    public static BackupSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().directory(directory).retentionDays(retentionDays).maxAge(maxAge).progressInterval(progressInterval)
                .timeout(timeout).maintenanceDatabase(maintenanceDatabase);
        b.encryptionKey = encryptionKey;
        b.binDir = binDir;
        return b;
    }

    /**
     * Reads {@code BACKUP_DIR}, {@code BACKUP_RETENTION_DAYS} (integer &gt;= 1),
     * {@code BACKUP_ENCRYPTION_KEY} (base64 of 32 bytes, see {@link EncryptionKey}) and
     * {@code DB_BACKUP_MAX_AGE} (duration; a plain number is in hours); unset or blank names keep
     * their defaults.
     *
     * @throws ConfigurationException naming the first invalid variable, never its value when it is the key
     */
    public static BackupSettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static BackupSettings fromEnvironment(SettingSource source) {
        Builder b = builder();
        SettingsTable.BACKUP_DIR.read(source).ifPresent(b::directory);
        SettingsTable.BACKUP_RETENTION_DAYS.read(source).ifPresent(b::retentionDays);
        SettingsTable.BACKUP_ENCRYPTION_KEY.read(source).map(key -> EncryptionKey.fromBase64(BACKUP_ENCRYPTION_KEY, key))
                .ifPresent(b::encryptionKey);
        SettingsTable.DB_BACKUP_MAX_AGE.read(source).ifPresent(b::maxAge);
        return b.build();
    }

    /** The retention as a duration. */
    public Duration retention() {
        return Duration.ofDays(retentionDays);
    }

    /** Builds {@link BackupSettings}; every argument is checked as it is set. */
    public static final class Builder {
        private Path directory = DEFAULT_DIRECTORY;
        private int retentionDays = DEFAULT_RETENTION_DAYS;
        private Optional<EncryptionKey> encryptionKey = Optional.empty();
        private Duration maxAge = DEFAULT_MAX_AGE;
        private Duration progressInterval = DEFAULT_PROGRESS_INTERVAL;
        private Duration timeout = DEFAULT_TIMEOUT;
        private String maintenanceDatabase = DEFAULT_MAINTENANCE_DATABASE;
        private Optional<Path> binDir = Optional.empty();

        private Builder() {
        }

        /** @throws ConfigurationException naming {@code BACKUP_DIR} when the path exists and is not a folder */
        public Builder directory(Path directory) {
            Objects.requireNonNull(directory, BACKUP_DIR);
            if (Files.exists(directory) && !Files.isDirectory(directory)) {
                throw new ConfigurationException(BACKUP_DIR, "must be a folder but " + directory + " is a file");
            }
            this.directory = directory;
            return this;
        }

        public Builder retentionDays(int retentionDays) {
            this.retentionDays = Checks.atLeast(BACKUP_RETENTION_DAYS, retentionDays, 1);
            return this;
        }

        public Builder encryptionKey(EncryptionKey encryptionKey) {
            this.encryptionKey = Optional.of(Objects.requireNonNull(encryptionKey, BACKUP_ENCRYPTION_KEY));
            return this;
        }

        /** New backups are not encrypted (the default). */
        public Builder noEncryption() {
            this.encryptionKey = Optional.empty();
            return this;
        }

        public Builder maxAge(Duration maxAge) {
            this.maxAge = Checks.positive(DB_BACKUP_MAX_AGE, maxAge);
            return this;
        }

        public Builder progressInterval(Duration progressInterval) {
            this.progressInterval = Checks.positive("backup.progressInterval", progressInterval);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = Checks.positive("backup.timeout", timeout);
            return this;
        }

        public Builder maintenanceDatabase(String maintenanceDatabase) {
            Objects.requireNonNull(maintenanceDatabase, "backup.maintenanceDatabase");
            if (maintenanceDatabase.isBlank()) {
                throw new ConfigurationException("backup.maintenanceDatabase", "must not be blank");
            }
            this.maintenanceDatabase = maintenanceDatabase;
            return this;
        }

        public Builder binDir(Path binDir) {
            this.binDir = Optional.of(Objects.requireNonNull(binDir, "backup.binDir"));
            return this;
        }

        public BackupSettings build() {
            return new BackupSettings(directory, retentionDays, encryptionKey, maxAge, progressInterval, timeout, maintenanceDatabase, binDir);
        }
    }
}
