package io.reactivedb.diagnostics;

import io.reactivedb.config.ConfigurationException;
import java.time.Duration;
import java.util.Objects;

/**
 * Bounds and thresholds of the diagnostics.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>range</th><th>default</th></tr>
 *   <tr><td>{@link #statementTimeout()}: longest a diagnostic statement runs ({@code SET LOCAL statement_timeout})</td><td>1 ms to 1 min</td><td>2 s</td></tr>
 *   <tr><td>{@link #lockTimeout()}: longest a diagnostic waits for a lock ({@code SET LOCAL lock_timeout}); size functions take
 *       {@code AccessShareLock}, which waits only behind exclusive locks (DDL, {@code VACUUM FULL})</td><td>1 ms to the statement timeout</td><td>100 ms</td></tr>
 *   <tr><td>{@link #limit()}: rows per list (top statements, tables, indexes)</td><td>1 to 1000</td><td>20</td></tr>
 *   <tr><td>{@link #seqScanMinRows()}: live rows from which a sequentially scanned table is a missing-index candidate</td><td>≥ 0</td><td>10 000</td></tr>
 *   <tr><td>{@link #seqScanMinScans()}: sequential scans from which a table is a candidate</td><td>≥ 1</td><td>10</td></tr>
 *   <tr><td>{@link #seqScanMinShare()}: share of sequential scans among all scans of the table</td><td>(0, 1]</td><td>0.5</td></tr>
 *   <tr><td>{@link #cacheHitTarget()}: the cache hit ratio a database or table should reach</td><td>(0, 1]</td><td>0.99</td></tr>
 * </table>
 */
public final class DiagnosticsSettings {

    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMillis(100);
    public static final int DEFAULT_LIMIT = 20;
    public static final long DEFAULT_SEQ_SCAN_MIN_ROWS = 10_000;
    public static final long DEFAULT_SEQ_SCAN_MIN_SCANS = 10;
    public static final double DEFAULT_SEQ_SCAN_MIN_SHARE = 0.5;
    public static final double DEFAULT_CACHE_HIT_TARGET = 0.99;

    private static final DiagnosticsSettings DEFAULTS = builder().build();

    private final Duration statementTimeout;
    private final Duration lockTimeout;
    private final int limit;
    private final long seqScanMinRows;
    private final long seqScanMinScans;
    private final double seqScanMinShare;
    private final double cacheHitTarget;

    private DiagnosticsSettings(Builder builder) {
        this.statementTimeout = builder.statementTimeout;
        this.lockTimeout = builder.lockTimeout;
        this.limit = builder.limit;
        this.seqScanMinRows = builder.seqScanMinRows;
        this.seqScanMinScans = builder.seqScanMinScans;
        this.seqScanMinShare = builder.seqScanMinShare;
        this.cacheHitTarget = builder.cacheHitTarget;
    }

    public static DiagnosticsSettings defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Duration statementTimeout() { return statementTimeout; }

    public Duration lockTimeout() { return lockTimeout; }

    public int limit() { return limit; }

    public long seqScanMinRows() { return seqScanMinRows; }

    public long seqScanMinScans() { return seqScanMinScans; }

    public double seqScanMinShare() { return seqScanMinShare; }

    public double cacheHitTarget() { return cacheHitTarget; }

    @Override
    public String toString() {
        return "DiagnosticsSettings[statementTimeout=" + statementTimeout + ", lockTimeout=" + lockTimeout + ", limit=" + limit
                + ", seqScanMinRows=" + seqScanMinRows + ", seqScanMinScans=" + seqScanMinScans + ", seqScanMinShare=" + seqScanMinShare
                + ", cacheHitTarget=" + cacheHitTarget + "]";
    }

    public static final class Builder {
        private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private int limit = DEFAULT_LIMIT;
        private long seqScanMinRows = DEFAULT_SEQ_SCAN_MIN_ROWS;
        private long seqScanMinScans = DEFAULT_SEQ_SCAN_MIN_SCANS;
        private double seqScanMinShare = DEFAULT_SEQ_SCAN_MIN_SHARE;
        private double cacheHitTarget = DEFAULT_CACHE_HIT_TARGET;

        private Builder() {
        }

        public Builder statementTimeout(Duration statementTimeout) {
            this.statementTimeout = millisBetween("diagnostics.statementTimeout", statementTimeout, Duration.ofMinutes(1));
            return this;
        }

        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = millisBetween("diagnostics.lockTimeout", lockTimeout, Duration.ofMinutes(1));
            return this;
        }

        public Builder limit(int limit) {
            if (limit < 1 || limit > 1000) {
                throw new ConfigurationException("diagnostics.limit", "must be between 1 and 1000 but was " + limit);
            }
            this.limit = limit;
            return this;
        }

        public Builder seqScanMinRows(long seqScanMinRows) {
            if (seqScanMinRows < 0) {
                throw new ConfigurationException("diagnostics.seqScanMinRows", "must be >= 0 but was " + seqScanMinRows);
            }
            this.seqScanMinRows = seqScanMinRows;
            return this;
        }

        public Builder seqScanMinScans(long seqScanMinScans) {
            if (seqScanMinScans < 1) {
                throw new ConfigurationException("diagnostics.seqScanMinScans", "must be >= 1 but was " + seqScanMinScans);
            }
            this.seqScanMinScans = seqScanMinScans;
            return this;
        }

        public Builder seqScanMinShare(double seqScanMinShare) {
            this.seqScanMinShare = share("diagnostics.seqScanMinShare", seqScanMinShare);
            return this;
        }

        public Builder cacheHitTarget(double cacheHitTarget) {
            this.cacheHitTarget = share("diagnostics.cacheHitTarget", cacheHitTarget);
            return this;
        }

        /** @throws ConfigurationException when the lock timeout exceeds the statement timeout */
        public DiagnosticsSettings build() {
            if (lockTimeout.compareTo(statementTimeout) > 0) {
                throw new ConfigurationException("diagnostics.lockTimeout", "must not exceed diagnostics.statementTimeout ("
                        + statementTimeout + ") but was " + lockTimeout);
            }
            return new DiagnosticsSettings(this);
        }

        /** Whole milliseconds, as the server's timeout settings take them. */
        private static Duration millisBetween(String setting, Duration value, Duration max) {
            Objects.requireNonNull(value, setting);
            if (value.toMillis() < 1 || value.compareTo(max) > 0) {
                throw new ConfigurationException(setting, "must be between 1 ms and " + max + " but was " + value);
            }
            return Duration.ofMillis(value.toMillis());
        }

        private static double share(String setting, double value) {
            if (!(value > 0 && value <= 1)) {
                throw new ConfigurationException(setting, "must be in (0, 1] but was " + value);
            }
            return value;
        }
    }
}
