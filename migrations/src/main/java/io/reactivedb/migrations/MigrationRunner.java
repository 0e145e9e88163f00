package io.reactivedb.migrations;

import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
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
import liquibase.Scope;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.changelog.visitor.AbstractChangeExecListener;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LockException;
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
    private static final Duration LOCK_POLL = Duration.ofMillis(200);

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
        run("update --dry-run", (lb, tracker) -> {
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

    /** Rolls back every change set applied after the one tagged {@code tag}; returns them, last first. */
    public List<ChangeSetRef> rollbackToTag(String tag) {
        requireTag(tag);
        return run("rollback --to-tag " + tag, (lb, tracker) -> {
            if (!lb.tagExists(tag)) {
                throw new MigrationException("rollback --to-tag " + tag + " failed on " + target.describe()
                        + ": no applied change set has tag '" + tag + "'");
            }
            lb.rollback(tag, null, new Contexts(), new LabelExpression());
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
                pending.add(ref(changeSet));
            }
            Connection connection = ((JdbcConnection) lb.getDatabase().getConnection()).getUnderlyingConnection();
            List<AppliedChangeSet> history = readHistory(connection);
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
            return readHistory(connection);
        } catch (SQLException e) {
            throw new MigrationException("history failed on " + target.describe() + ": " + e.getMessage() + sqlStateSuffix(e.getSQLState()),
                    null, e.getSQLState(), e);
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
            Optional<String> holder = lockHolder(connection);
            if (holder.isPresent()) {
                try (Statement st = connection.createStatement()) {
                    st.executeUpdate("UPDATE databasechangeloglock SET locked = FALSE, lockgranted = NULL, lockedby = NULL WHERE id = 1");
                }
                LOG.warn("Released the Liquibase changelog lock on {} held by {}", target.describe(), holder.get());
            }
            return holder;
        } catch (SQLException e) {
            throw new MigrationException("release-locks failed on " + target.describe() + ": " + e.getMessage() + sqlStateSuffix(e.getSQLState()),
                    null, e.getSQLState(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        @Nullable T run(Liquibase liquibase, Tracker tracker) throws Exception;
    }

    private <T> T run(String action, Work<T> work) {
        Tracker tracker = new Tracker(listener);
        long started = System.nanoTime();
        try (Connection connection = target.connect()) {
            acquireAdvisoryLock(action, connection);
            awaitChangeLogLock(action, connection);
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
            throw translate(action, tracker.current(), e);
        }
    }

    private MigrationException translate(String action, @Nullable ChangeSetRef changeSet, Exception e) {
        String sqlState = null;
        String reason = null;
        boolean lock = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sqlState == null) {
                sqlState = sql.getSQLState();
                reason = sql.getMessage();
            }
            if (t instanceof LockException) {
                lock = true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        if (reason == null) {
            reason = rootMessage(e);
        }
        StringBuilder message = new StringBuilder(action).append(" failed on ").append(target.describe());
        if (changeSet != null) {
            message.append(" at change set ").append(changeSet);
        }
        message.append(": ").append(reason).append(sqlStateSuffix(sqlState));
        if (lock) {
            message.append("; if no migration is running, release the lock with `migrations release-locks`");
        }
        return new MigrationException(message.toString(), changeSet, sqlState, e);
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? e.getClass().getSimpleName() : message.strip();
    }

    private static String sqlStateSuffix(@Nullable String sqlState) {
        return sqlState == null ? "" : " (SQLSTATE " + sqlState + ")";
    }

    private void acquireAdvisoryLock(String action, Connection connection) throws SQLException {
        long deadline = System.nanoTime() + lockWait.toNanos();
        try (PreparedStatement st = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            st.setLong(1, ADVISORY_LOCK_KEY);
            while (true) {
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new MigrationException(action + " failed on " + target.describe() + ": another migration run holds advisory lock "
                            + ADVISORY_LOCK_KEY + " (" + advisoryHolder(connection) + "); waited " + lockWait.toMillis() + " ms");
                }
                pause();
            }
        }
    }

    private static String advisoryHolder(Connection connection) throws SQLException {
        String sql = "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND ((l.classid::bigint << 32) | l.objid::bigint) = ? LIMIT 1";
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            st.setLong(1, ADVISORY_LOCK_KEY);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? "pid " + rs.getInt(1) + ", application '" + rs.getString(2) + "'" : "holder unknown";
            }
        }
    }

    private void awaitChangeLogLock(String action, Connection connection) throws SQLException {
        long deadline = System.nanoTime() + lockWait.toNanos();
        Optional<String> holder = lockHolder(connection);
        while (holder.isPresent()) {
            if (System.nanoTime() > deadline) {
                throw new MigrationException(action + " failed on " + target.describe() + ": stale lock held by " + holder.get()
                        + " (waited " + lockWait.toMillis() + " ms); release with `migrations release-locks`");
            }
            pause();
            holder = lockHolder(connection);
        }
    }

    /** {@code LOCKEDBY since LOCKGRANTED} when DATABASECHANGELOGLOCK is locked. */
    private static Optional<String> lockHolder(Connection connection) throws SQLException {
        if (!tableExists(connection, "databasechangeloglock")) {
            return Optional.empty();
        }
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT lockedby, lockgranted::timestamptz FROM databasechangeloglock WHERE id = 1 AND locked")) {
            if (!rs.next()) {
                return Optional.empty();
            }
            String by = rs.getString(1);
            OffsetDateTime since = rs.getObject(2, OffsetDateTime.class);
            return Optional.of((by == null ? "unknown" : by) + " since " + (since == null ? "unknown" : since.toInstant()));
        }
    }

    private static boolean tableExists(Connection connection, String table) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, table);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static List<AppliedChangeSet> readHistory(Connection connection) throws SQLException {
        if (!tableExists(connection, "databasechangelog")) {
            return List.of();
        }
        List<AppliedChangeSet> rows = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, author, filename, dateexecuted::timestamptz, orderexecuted, exectype, tag"
                     + " FROM databasechangelog ORDER BY orderexecuted, dateexecuted")) {
            while (rs.next()) {
                OffsetDateTime executed = rs.getObject(4, OffsetDateTime.class);
                rows.add(new AppliedChangeSet(new ChangeSetRef(rs.getString(1), rs.getString(2), rs.getString(3)),
                        executed.toInstant(), rs.getInt(5), rs.getString(6), Optional.ofNullable(rs.getString(7))));
            }
        }
        return rows;
    }

    static MigrationStatus statusOf(List<AppliedChangeSet> history, List<ChangeSetRef> pending) {
        if (history.isEmpty()) {
            return new MigrationStatus(Optional.empty(), pending, Optional.empty(), 0);
        }
        AppliedChangeSet last = history.get(history.size() - 1);
        String version = last.tag().orElse(last.changeSet().id());
        return new MigrationStatus(Optional.of(version), pending, Optional.of(last.executedAt()), history.size());
    }

    private void pause() {
        try {
            Thread.sleep(LOCK_POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrationException("interrupted while waiting for the migration lock on " + target.describe());
        }
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

    private static ChangeSetRef ref(ChangeSet changeSet) {
        return new ChangeSetRef(changeSet.getId(), changeSet.getAuthor(), changeSet.getFilePath());
    }

    /** Follows Liquibase's execution to name the change set that fails and to report progress. */
    private static final class Tracker extends AbstractChangeExecListener {
        private final MigrationListener listener;
        private final List<ChangeSetRef> applied = new ArrayList<>();
        private final List<ChangeSetRef> rolledBack = new ArrayList<>();
        private @Nullable ChangeSetRef current;
        private long started = System.nanoTime();

        Tracker(MigrationListener listener) {
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

        List<ChangeSetRef> rolledBack() {
            return List.copyOf(rolledBack);
        }
    }
}
