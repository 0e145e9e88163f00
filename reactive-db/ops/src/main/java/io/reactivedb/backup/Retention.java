package io.reactivedb.backup;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention: deletes backups (of any database) older than {@link BackupSettings#retentionDays()}
 * and leftovers of interrupted backups as old, keeping the newest verified backup of each database
 * whatever its age. Blocking: runs on {@code boundedElastic}.
 */
final class Retention {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    private final BackupSettings settings;
    private final BackupStore store;
    private final Clock clock;

    Retention(BackupSettings settings, BackupStore store, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.clock = clock;
    }

    PruneReport prune() {
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
}
