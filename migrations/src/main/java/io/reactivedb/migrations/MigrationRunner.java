package io.reactivedb.migrations;

import java.io.Writer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.reactivedb.config.ReactiveDbSettings;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.Scope;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.lockservice.LockService;
import liquibase.lockservice.LockServiceFactory;
import liquibase.lockservice.StandardLockService;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Runs the Liquibase changelog against the primary over JDBC.
 *
 * <p>Every method opens one JDBC connection, does its work and closes it; all of them block, so call
 * them at startup or from the command line, never on a request thread ({@link #statusAsync()} is the
 * one non-blocking entry point). Instances are immutable and thread-safe.
 *
 * <p>Concurrency: runs that change the schema or read its state first take a session-level PostgreSQL
 * advisory lock ({@value #ADVISORY_LOCK_KEY}) on their connection, waiting at most the
 * {@linkplain #lockWait() lock wait}, so two runners never race while Liquibase creates its tables.
 * Then Liquibase's own {@code DATABASECHANGELOGLOCK} is checked: when it stays locked for the lock wait
 * (left behind by a killed process), the run fails with "stale lock held by X since T; release with
 * {@code migrations release-locks}".
 *
 * <p>Each change set runs in its own transaction (Liquibase's {@code runInTransaction} default), so a
 * failing change set leaves the schema as it was before it: PostgreSQL's DDL is transactional.
 */
public final class MigrationRunner {

    /** The classpath resource of the demo schema's master changelog. */
    public static final String DEFAULT_CHANGELOG = "db/changelog/db.changelog-master.yaml";
    /** Default wait for the migration locks, 10 s. */
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(10);
    /** The key of the advisory lock that serialises runners on one database. */
    public static final long ADVISORY_LOCK_KEY = 7_364_918_265_001L;

    private static final Logger LOG = LoggerFactory.getLogger(MigrationRunner.class);

    private final JdbcTarget target;
    private final String changeLog;
    private final Duration lockWait;
    private final MigrationListener listener;
    private final ClassLoader classLoader;

    private MigrationRunner(JdbcTarget target, String changeLog, Duration lockWait, MigrationListener listener, ClassLoader classLoader) {
        this.target = target;
        this.changeLog = changeLog;
        this.lockWait = lockWait;
        this.listener = listener;
        this.classLoader = classLoader;
    }

    /** A runner of {@link #DEFAULT_CHANGELOG} against the primary of {@code settings}. */
    public static MigrationRunner create(ReactiveDbSettings settings) {
        return new MigrationRunner(JdbcTarget.primaryOf(settings), DEFAULT_CHANGELOG, DEFAULT_LOCK_WAIT, MigrationListener.NONE,
                MigrationRunner.class.getClassLoader());
    }

    /** The same runner with another changelog (a classpath resource path). */
    public MigrationRunner withChangeLog(String changeLogResource) {
        Objects.requireNonNull(changeLogResource, "changeLogResource");
        return new MigrationRunner(target, changeLogResource, lockWait, listener, classLoader);
    }

    /** The same runner waiting at most {@code wait} (at least zero) for the migration locks. */
    public MigrationRunner withLockWait(Duration wait) {
        Objects.requireNonNull(wait, "wait");
        if (wait.isNegative()) {
            throw new IllegalArgumentException("lock wait must not be negative but was " + wait);
        }
        return new MigrationRunner(target, changeLog, wait, listener, classLoader);
    }

    /** The same runner reporting progress to {@code progress}. */
    public MigrationRunner withListener(MigrationListener progress) {
        return new MigrationRunner(target, changeLog, lockWait, Objects.requireNonNull(progress, "progress"), classLoader);
    }

    public JdbcTarget target() { return target; }
    public String changeLog() { return changeLog; }
    public Duration lockWait() { return lockWait; }

    /** Applies every pending change set; returns those applied, in order. */
    public List<ChangeSetRef> update() {
        return run("update", (lb, tracker) -> {
            lb.update(new Contexts(), new LabelExpression());
            return tracker.applied();
        });
    }

    /** Applies the next {@code count} pending change sets at most; returns those applied. */
    public List<ChangeSetRef> update(int count) {
        requirePositive(count);
        return run("update --count " + count, (lb, tracker) -> {
            lb.update(count, new Contexts(), new LabelExpression());
            return tracker.applied();
        });
    }

    /** Writes the SQL that {@link #update()} would run to {@code out}, changing nothing in the schema. */
    public void updateSql(Writer out) {
        Objects.requireNonNull(out, "out");
        run("update --dry-run", MigrationListener.NONE, (lb, tracker) -> {
            lb.updateSql(new Contexts(), new LabelExpression(), out);
            return null;
        });
    }

    /** Rolls back the last {@code count} applied change sets with their {@code rollback}; returns them, last first. */
    public List<ChangeSetRef> rollbackCount(int count) {
        requirePositive(count);
        return run("rollback --count " + count, (lb, tracker) -> {
            lb.rollback(count, null, new Contexts(), new LabelExpression());
            return tracker.rolledBack();
        });
    }

    /**
     * Rolls back every change set applied after the one tagged {@code tag}; the tagged change set
     * stays (also when it is the change set that sets the tag, such as {@code 004-tag-v1}). Returns
     * them, last first; empty when the tagged change set is the last applied.
     */
    public List<ChangeSetRef> rollbackToTag(String tag) {
        requireTag(tag);
        return run("rollback --to-tag " + tag, (lb, tracker) -> {
            // Liquibase's rollback(tag) also undoes a tagDatabase change set that carries the tag, so the
            // rows after the tag are counted here and rolled back by count.
            List<AppliedChangeSet> history = ChangeLogTables.readHistory(
                    ((JdbcConnection) lb.getDatabase().getConnection()).getUnderlyingConnection());
            int tagged = -1;
            for (int i = 0; i < history.size(); i++) {
                if (history.get(i).tag().filter(tag::equals).isPresent()) {
                    tagged = i;
                }
            }
            if (tagged < 0) {
                throw new MigrationException("rollback --to-tag " + tag + " failed on " + target.describe()
                        + ": no applied change set has tag '" + tag + "'");
            }
            int after = history.size() - 1 - tagged;
            if (after > 0) {
                lb.rollback(after, null, new Contexts(), new LabelExpression());
            }
            return tracker.rolledBack();
        });
    }

    /** Sets tag {@code tag} on the last applied change set. */
    public void tag(String tag) {
        requireTag(tag);
        run("tag " + tag, (lb, tracker) -> {
            lb.tag(tag);
            return null;
        });
    }

    /**
     * Checks the changelog and the applied change sets: the changelog parses, and no applied change
     * set's checksum differs from its current content.
     *
     * @throws MigrationException naming the offending change sets
     */
    public void validate() {
        run("validate", (lb, tracker) -> {
            lb.validate();
            return null;
        });
    }

    /** Pending change sets, the current version and when the last change set was applied. */
    public MigrationStatus status() {
        return run("status", (lb, tracker) -> {
            List<ChangeSetRef> pending = new ArrayList<>();
            for (ChangeSet changeSet : lb.listUnrunChangeSets(new Contexts(), new LabelExpression())) {
                pending.add(ChangeSetTracker.ref(changeSet));
            }
            Connection connection = ((JdbcConnection) lb.getDatabase().getConnection()).getUnderlyingConnection();
            List<AppliedChangeSet> history = ChangeLogTables.readHistory(connection);
            return statusOf(history, pending);
        });
    }

    /**
     * {@link #status()} on {@code Schedulers.boundedElastic()}: JDBC blocks, so a reactive application
     * (a health or info endpoint) must not call {@code status()} on its event loop. Lazy: nothing runs
     * until subscription.
     */
    public Mono<MigrationStatus> statusAsync() {
        return Mono.fromCallable(this::status).subscribeOn(Schedulers.boundedElastic());
    }

    /** The applied change sets in order of execution; empty when Liquibase has never run here. */
    public List<AppliedChangeSet> history() {
        try (Connection connection = target.connect()) {
            return ChangeLogTables.readHistory(connection);
        } catch (SQLException e) {
            throw MigrationErrors.jdbc("history", target, e);
        }
    }

    /**
     * Releases Liquibase's changelog lock whoever holds it. Only for a lock left behind by a killed
     * process: releasing the lock of a running migration lets a second one start.
     *
     * @return the holder of the released lock ({@code LOCKEDBY since LOCKGRANTED}), empty when it was not held
     */
    public Optional<String> releaseLocks() {
        try (Connection connection = target.connect()) {
            Optional<String> holder = MigrationLocks.lockHolder(connection);
            if (holder.isPresent()) {
                try (Statement st = connection.createStatement()) {
                    st.executeUpdate("UPDATE databasechangeloglock SET locked = FALSE, lockgranted = NULL, lockedby = NULL WHERE id = 1");
                }
                LOG.warn("Released the Liquibase changelog lock on {} held by {}", target.describe(), holder.get());
            }
            return holder;
        } catch (SQLException e) {
            throw MigrationErrors.jdbc("release-locks", target, e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        @Nullable T run(Liquibase liquibase, ChangeSetTracker tracker) throws Exception;
    }

    private <T> T run(String action, Work<T> work) {
        return run(action, listener, work);
    }

    private <T> T run(String action, MigrationListener progress, Work<T> work) {
        ChangeSetTracker tracker = new ChangeSetTracker(progress);
        long started = System.nanoTime();
        try (Connection connection = target.connect()) {
            MigrationLocks locks = new MigrationLocks(target, lockWait);
            locks.acquireAdvisory(action, connection);
            locks.awaitChangeLogLock(action, connection);
            Map<String, Object> scope = new HashMap<>();
            scope.put(Scope.Attr.ui.name(), new LoggerUIService());
            scope.put(Scope.Attr.logService.name(), new Slf4jLogService());
            scope.put("liquibase.analytics.enabled", Boolean.FALSE);
            T result = Scope.child(scope, () -> {
                Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(connection));
                LockService lockService = LockServiceFactory.getInstance().getLockService(database);
                if (lockService instanceof StandardLockService standard) {
                    // Liquibase counts this in minutes; our own wait above is the precise one.
                    standard.setChangeLogLockWaitTime(Math.max(1, lockWait.toMinutes()));
                    standard.setChangeLogLockRecheckTime(1);
                }
                Liquibase liquibase = new Liquibase(changeLog, new ClassLoaderResourceAccessor(classLoader), database);
                liquibase.setChangeExecListener(tracker);
                // Liquibase's update summary ("Run: 5", counting change sets only marked as ran) goes to the
                // log only: the listener reports what was applied and what was only marked.
                liquibase.setShowSummaryOutput(UpdateSummaryOutputEnum.LOG);
                return work.run(liquibase, tracker);
            });
            LOG.info("{} on {} done in {} ms", action, target.describe(), Duration.ofNanos(System.nanoTime() - started).toMillis());
            return result;
        } catch (Exception e) {
            for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
                if (t instanceof MigrationException own) {
                    throw own; // ours, possibly wrapped by Liquibase's scope
                }
            }
            throw MigrationErrors.translate(action, target, tracker.current(), e);
        }
    }

    static MigrationStatus statusOf(List<AppliedChangeSet> history, List<ChangeSetRef> pending) {
        if (history.isEmpty()) {
            return new MigrationStatus(Optional.empty(), pending, Optional.empty(), 0);
        }
        AppliedChangeSet last = history.get(history.size() - 1);
        String version = last.tag().orElse(last.changeSet().id());
        return new MigrationStatus(Optional.of(version), pending, Optional.of(last.executedAt()), history.size());
    }

    private static void requirePositive(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1 but was " + count);
        }
    }

    private static void requireTag(String tag) {
        Objects.requireNonNull(tag, "tag");
        if (tag.isBlank()) {
            throw new IllegalArgumentException("tag must not be blank");
        }
    }
}
