package io.reactivedb.migrations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;

/**
 * Follows Liquibase's execution to name the change set that fails and to report progress. A dry run
 * ({@code updateSql}) gets {@link MigrationListener#NONE}: Liquibase reports each change set it only
 * printed as executed.
 */
final class ChangeSetTracker extends AbstractChangeExecListener {

    private final MigrationListener listener;
    private final List<ChangeSetRef> applied = new ArrayList<>();
    private final List<ChangeSetRef> rolledBack = new ArrayList<>();
    private final List<ChangeSetRef> markedRan = new ArrayList<>();
    private @Nullable ChangeSetRef current;
    private long started = System.nanoTime();

    ChangeSetTracker(MigrationListener listener) {
        this.listener = listener;
    }

    @Override
    public void willRun(ChangeSet changeSet, DatabaseChangeLog log, Database database, ChangeSet.RunStatus runStatus) {
        current = ref(changeSet);
        started = System.nanoTime();
    }

    @Override
    public void ran(ChangeSet changeSet, DatabaseChangeLog log, Database database, ChangeSet.ExecType execType) {
        ChangeSetRef ref = ref(changeSet);
        current = null;
        if (execType == ChangeSet.ExecType.EXECUTED || execType == ChangeSet.ExecType.RERAN) {
            applied.add(ref);
            listener.applied(ref, Duration.ofNanos(System.nanoTime() - started));
        } else if (execType == ChangeSet.ExecType.MARK_RAN) {
            markedRan.add(ref);
            listener.markedRan(ref);
        }
    }

    @Override
    public void willRollback(ChangeSet changeSet, DatabaseChangeLog log, Database database) {
        current = ref(changeSet);
        started = System.nanoTime();
    }

    @Override
    public void rolledBack(ChangeSet changeSet, DatabaseChangeLog log, Database database) {
        ChangeSetRef ref = ref(changeSet);
        current = null;
        rolledBack.add(ref);
        listener.rolledBack(ref, Duration.ofNanos(System.nanoTime() - started));
    }

    @Nullable ChangeSetRef current() {
        return current;
    }

    List<ChangeSetRef> applied() {
        return List.copyOf(applied);
    }

    List<ChangeSetRef> markedRan() {
        return List.copyOf(markedRan);
    }

    List<ChangeSetRef> rolledBack() {
        return List.copyOf(rolledBack);
    }

    static ChangeSetRef ref(ChangeSet changeSet) {
        return new ChangeSetRef(changeSet.getId(), changeSet.getAuthor(), changeSet.getFilePath());
    }
}
