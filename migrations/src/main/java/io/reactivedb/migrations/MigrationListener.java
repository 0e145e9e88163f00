package io.reactivedb.migrations;

import java.time.Duration;

/** Progress of an update or rollback, one call per change set. Called on the migrating thread. */
public interface MigrationListener {

    /** Does nothing. */
    MigrationListener NONE = new MigrationListener() {
    };

    /** {@code changeSet} was applied and committed after {@code took}. */
    default void applied(ChangeSetRef changeSet, Duration took) {
    }

    /**
     * {@code changeSet} was recorded as ran without running: its precondition said so
     * ({@code onFail: MARK_RAN}). Nothing of it was applied.
     */
    default void markedRan(ChangeSetRef changeSet) {
    }

    /** {@code changeSet} was rolled back after {@code took}. */
    default void rolledBack(ChangeSetRef changeSet, Duration took) {
    }
}
