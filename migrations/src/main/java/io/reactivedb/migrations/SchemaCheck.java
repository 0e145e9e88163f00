package io.reactivedb.migrations;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;

/**
 * What an application does with the schema at startup, from two environment variables:
 * <ul>
 *   <li>{@code DB_AUTO_MIGRATE} (default {@code false}): apply pending change sets first;</li>
 *   <li>{@code DB_VALIDATE_SCHEMA_ON_STARTUP} (default {@code true}): refuse to start when change
 *       sets are pending or an applied change set's checksum changed.</li>
 * </ul>
 * Booleans accept {@code true/false/1/0/yes/no} in any case; anything else is a
 * {@link ConfigurationException} naming the variable. Blocking: run it before serving traffic.
 *
 * @param autoMigrate    apply pending change sets at startup
 * @param validateSchema fail startup when the schema is not up to date
 */
public record SchemaCheck(boolean autoMigrate, boolean validateSchema) {

    public static final String DB_VALIDATE_SCHEMA_ON_STARTUP = SettingsTable.DB_VALIDATE_SCHEMA_ON_STARTUP.env();
    public static final String DB_AUTO_MIGRATE = SettingsTable.DB_AUTO_MIGRATE.env();

    private static final Logger LOG = LoggerFactory.getLogger(SchemaCheck.class);

    /** Reads {@code DB_AUTO_MIGRATE} and {@code DB_VALIDATE_SCHEMA_ON_STARTUP} from {@code env}. */
    public static SchemaCheck fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static SchemaCheck fromEnvironment(SettingSource source) {
        Objects.requireNonNull(source, "source");
        return new SchemaCheck(SettingsTable.DB_AUTO_MIGRATE.read(source).orElse(false),
                SettingsTable.DB_VALIDATE_SCHEMA_ON_STARTUP.read(source).orElse(true));
    }

    /** {@link #fromEnvironment(Map)} of {@link System#getenv()}. */
    public static SchemaCheck fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Migrates when {@link #autoMigrate()}, then, when {@link #validateSchema()}, validates checksums
     * and checks that nothing is pending.
     *
     * @throws MigrationException when migrating fails, a checksum changed, or change sets are pending
     *     (the message lists them and says how to apply them)
     */
    public void run(MigrationRunner runner) {
        Objects.requireNonNull(runner, "runner");
        if (autoMigrate) {
            List<ChangeSetRef> applied = runner.update();
            LOG.info("{}=true: applied {} change set(s) on {}", DB_AUTO_MIGRATE, applied.size(), runner.target().describe());
        }
        if (!validateSchema) {
            return;
        }
        runner.validate();
        MigrationStatus status = runner.status();
        if (!status.upToDate()) {
            throw new MigrationException("schema of " + runner.target().describe() + " is not up to date: " + status.pendingCount()
                    + " pending change set(s): " + status.pending().stream().map(ChangeSetRef::toString).collect(Collectors.joining(", "))
                    + ". Apply them with `migrations update` (see README, Migrations) or start with " + DB_AUTO_MIGRATE
                    + "=true; " + DB_VALIDATE_SCHEMA_ON_STARTUP + "=false skips this check");
        }
        LOG.info("Schema of {} is up to date at version {}", runner.target().describe(), status.currentVersion().orElse("(empty)"));
    }
}
