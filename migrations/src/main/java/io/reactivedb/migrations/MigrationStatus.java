package io.reactivedb.migrations;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the schema stands relative to the changelog.
 *
 * @param currentVersion the tag of the last applied change set, else its id; empty when nothing has been applied
 * @param pending        change sets of the changelog not yet applied, in changelog order
 * @param lastApplied    when the last change set was applied; empty when nothing has been applied
 * @param applied        how many change sets have been applied
 */
public record MigrationStatus(Optional<String> currentVersion, List<ChangeSetRef> pending, Optional<Instant> lastApplied, int applied) {

    public MigrationStatus {
        Objects.requireNonNull(currentVersion, "currentVersion");
        pending = List.copyOf(pending);
        Objects.requireNonNull(lastApplied, "lastApplied");
    }

    /** How many change sets are pending. */
    public int pendingCount() {
        return pending.size();
    }

    /** True when nothing is pending. */
    public boolean upToDate() {
        return pending.isEmpty();
    }
}
