package io.reactivedb.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/** What a running backup reports. Each kind is an immutable record with its time (from the service's clock). */
public sealed interface BackupEvent {

    Instant at();

    /** The snapshot is taken and counted; {@code pg_dump} starts. */
    record Started(Instant at, String backupId, String database, Map<String, Long> tableRows) implements BackupEvent {
        public Started {
            tableRows = Map.copyOf(tableRows);
        }
    }

    /**
     * The dump is running: once per progress interval.
     *
     * @param dumpBytes    archive bytes read from {@code pg_dump} so far
     * @param writtenBytes bytes written to the backup file so far (compressed, encrypted)
     */
    record Progress(Instant at, String backupId, long dumpBytes, long writtenBytes, Duration elapsed) implements BackupEvent {
    }

    /** The backup is complete: file, checksum and metadata are written. */
    record Completed(Instant at, BackupMetadata backup) implements BackupEvent {
    }
}
