package io.reactivedb.backup;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What a restore did.
 *
 * @param preRestoreBackup the backup taken of the target database before it was replaced; empty when it did not exist
 * @param replacedExisting whether a database of that name existed and was dropped
 * @param restoredRows     row counts of the restored tables (equal to those recorded at dump time)
 */
public record RestoreReport(String backupId, String targetDatabase, Optional<String> preRestoreBackup, boolean replacedExisting,
                            Map<String, Long> restoredRows, Duration took) {

    public RestoreReport {
        restoredRows = Map.copyOf(restoredRows);
    }

    /** One line for people. */
    public String describe() {
        long rows = restoredRows.values().stream().mapToLong(Long::longValue).sum();
        return "restored backup " + backupId + " into database " + targetDatabase + ": " + restoredRows.size() + " tables, " + rows
                + " rows" + (replacedExisting ? "; the previous database was replaced" : "; the database was created")
                + preRestoreBackup.map(id -> "; its pre-restore backup is " + id).orElse("") + " (" + took.toMillis() + " ms)";
    }
}
