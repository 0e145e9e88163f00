package io.reactivedb.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HikariCP over pgjdbc, one blocking thread per operation in flight: virtual threads on Java 21+
 * (looked up reflectively, as the module compiles for Java 17), platform threads otherwise.
 */
final class JdbcLoad implements Load {

    private final HikariDataSource dataSource;
    private final String sql;
    private final int rows;
    private final ThreadFactory threads;
    private final boolean virtual;

    JdbcLoad(String jdbcUrl, String user, String password, int poolSize, String sql, int rows) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(poolSize);
        config.setConnectionTimeout(30_000);
        config.setPoolName("bench-hikari");
        this.dataSource = new HikariDataSource(config);
        this.sql = sql;
        this.rows = rows;
        ThreadFactory virtualThreads = virtualThreadFactory();
        this.virtual = virtualThreads != null;
        AtomicInteger count = new AtomicInteger();
        this.threads = virtual ? virtualThreads : task -> {
            Thread thread = new Thread(task, "bench-jdbc-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** {@code Thread.ofVirtual().factory()} on Java 21+, else null. */
    static ThreadFactory virtualThreadFactory() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    boolean virtualThreads() {
        return virtual;
    }

    @Override
    public void run(long endNanos, int concurrency, Recorder recorder) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            Thread worker = threads.newThread(() -> {
                while (System.nanoTime() < endNanos) {
                    long started = System.nanoTime();
                    try {
                        read(ThreadLocalRandom.current().nextInt(1, rows + 1));
                        recorder.success(started);
                    } catch (SQLException | RuntimeException e) {
                        recorder.failure(e);
                    }
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }

    private long read(int id) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, id);
            try (ResultSet result = statement.executeQuery()) {
                if (!result.next()) {
                    throw new SQLException("no row for id " + id);
                }
                return result.getLong(1);
            }
        }
    }

    @Override
    public String note() {
        return virtual ? "" : "Java " + Runtime.version().feature() + " has no virtual threads";
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
