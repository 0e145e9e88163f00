package io.reactivedb.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The outcome of verifying one backup.
 *
 * @param passed       checksum, decryption, restore and every row count were right
 * @param message      what was checked, or the first thing that was wrong
 * @param expectedRows row counts recorded at dump time
 * @param restoredRows row counts in the scratch database; empty when the restore did not get that far
 * @param mismatches   one line per table whose count differs or that is missing on one side
 */
public record VerificationResult(String backupId, boolean passed, Instant at, Duration took, String message,
                                 Map<String, Long> expectedRows, Map<String, Long> restoredRows, List<String> mismatches) {

    public VerificationResult {
        expectedRows = Map.copyOf(expectedRows);
        restoredRows = Map.copyOf(restoredRows);
        mismatches = List.copyOf(mismatches);
    }
}
