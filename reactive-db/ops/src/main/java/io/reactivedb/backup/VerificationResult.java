package io.reactivedb.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of verifying one backup.
 *
 * @param outcome      {@link Outcome#PASSED}, {@link Outcome#FAILED} (the backup is bad), or
 *                     {@link Outcome#NOT_RUN} (the check could not run; nothing was learned about the backup)
 * @param message      what was checked, the first thing that was wrong, or why the check could not run
 * @param expectedRows row counts recorded at dump time
 * @param restoredRows row counts in the scratch database; empty when the restore did not get that far
 * @param mismatches   one line per table whose count differs or that is missing on one side
 */
public record VerificationResult(String backupId, Outcome outcome, Instant at, Duration took, String message,
                                 Map<String, Long> expectedRows, Map<String, Long> restoredRows, List<String> mismatches) {

    /** What a verification found. */
    public enum Outcome {
        /** Checksum, decryption, restore and every row count were right. */
        PASSED,
        /** The backup is damaged, undecryptable, does not restore, or its row counts differ. */
        FAILED,
        /**
         * The verification could not run (the login may not create the scratch database, the tools are
         * missing, the server could not be reached): the backup is neither verified nor failed, and its
         * recorded verification is left as it was.
         */
        NOT_RUN
    }

    public VerificationResult {
        Objects.requireNonNull(outcome, "outcome");
        expectedRows = Map.copyOf(expectedRows);
        restoredRows = Map.copyOf(restoredRows);
        mismatches = List.copyOf(mismatches);
    }

    /** Whether the backup was verified ({@link Outcome#PASSED}). */
    public boolean passed() {
        return outcome == Outcome.PASSED;
    }
}
