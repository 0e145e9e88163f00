package io.reactivedb.diagnostics;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Inputs and thresholds of the pool tuning advice ({@link PoolAdvisor}).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>environment</th><th>range</th><th>default</th></tr>
 *   <tr><td>{@link #instances()}: application instances sharing each server</td><td>{@code SettingsTable.DB_INSTANCE_COUNT.env()}</td><td>1 to 10 000</td><td>1</td></tr>
 *   <tr><td>{@link #serverCores()}: CPU cores of the database server</td><td>{@code SettingsTable.DB_SERVER_CORES.env()}</td><td>1 to 10 000</td>
 *       <td>none: this JVM's processor count, marked as assumed</td></tr>
 *   <tr><td>{@link #effectiveSpindles()}: disks the active data set is read from; 0 when it fits in memory</td>
 *       <td>{@code SettingsTable.DB_EFFECTIVE_SPINDLES.env()}</td><td>0 to 10 000</td><td>1</td></tr>
 *   <tr><td>{@link #sampleInterval()}: how often pool statistics are sampled</td><td>–</td><td>≥ 1 ms</td><td>100 ms</td></tr>
 *   <tr><td>{@link #waitThreshold()}: a p99 acquire wait from which the pool counts as too small</td><td>–</td><td>&gt; 0</td><td>20 ms</td></tr>
 *   <tr><td>{@link #pendingShare()}: share of samples with waiting callers from which the pool counts as too small</td><td>–</td><td>(0, 1]</td><td>0.05</td></tr>
 *   <tr><td>{@link #lowUtilisation()}: peak share of connections in use below which the pool counts as too large</td><td>–</td><td>(0, 1]</td><td>0.5</td></tr>
 *   <tr><td>{@link #idleShare()}: mean share of open connections idle from which the minimum counts as too high</td><td>–</td><td>(0, 1]</td><td>0.5</td></tr>
 *   <tr><td>{@link #minAcquisitions()}: acquisitions in the window before a pool may count as too large</td><td>–</td><td>≥ 0</td><td>100</td></tr>
 * </table>
 */
public final class PoolAdviceSettings {


    private static final int MAX_COUNT = SettingsTable.MAX_COUNT;
    private static final PoolAdviceSettings DEFAULTS = builder().build();

    private final int instances;
    private final Optional<Integer> serverCores;
    private final int effectiveSpindles;
    private final Duration sampleInterval;
    private final Duration waitThreshold;
    private final double pendingShare;
    private final double lowUtilisation;
    private final double idleShare;
    private final long minAcquisitions;

    private PoolAdviceSettings(Builder builder) {
        this.instances = builder.instances;
        this.serverCores = builder.serverCores;
        this.effectiveSpindles = builder.effectiveSpindles;
        this.sampleInterval = builder.sampleInterval;
        this.waitThreshold = builder.waitThreshold;
        this.pendingShare = builder.pendingShare;
        this.lowUtilisation = builder.lowUtilisation;
        this.idleShare = builder.idleShare;
        this.minAcquisitions = builder.minAcquisitions;
    }

    public static PoolAdviceSettings defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Defaults overridden by {@code SettingsTable.DB_INSTANCE_COUNT.env()}, {@code SettingsTable.DB_SERVER_CORES.env()} and
     * {@code SettingsTable.DB_EFFECTIVE_SPINDLES.env()} where set.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public static PoolAdviceSettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static PoolAdviceSettings fromEnvironment(SettingSource source) {
        Objects.requireNonNull(source, "source");
        Builder builder = builder();
        SettingsTable.DB_INSTANCE_COUNT.read(source).ifPresent(builder::instances);
        SettingsTable.DB_SERVER_CORES.read(source).ifPresent(builder::serverCores);
        SettingsTable.DB_EFFECTIVE_SPINDLES.read(source).ifPresent(builder::effectiveSpindles);
        return builder.build();
    }

    public int instances() { return instances; }

    public Optional<Integer> serverCores() { return serverCores; }

    public int effectiveSpindles() { return effectiveSpindles; }

    public Duration sampleInterval() { return sampleInterval; }

    public Duration waitThreshold() { return waitThreshold; }

    public double pendingShare() { return pendingShare; }

    public double lowUtilisation() { return lowUtilisation; }

    public double idleShare() { return idleShare; }

    public long minAcquisitions() { return minAcquisitions; }

    @Override
    public String toString() {
        return "PoolAdviceSettings[instances=" + instances + ", serverCores=" + serverCores + ", effectiveSpindles=" + effectiveSpindles
                + ", sampleInterval=" + sampleInterval + ", waitThreshold=" + waitThreshold + ", pendingShare=" + pendingShare
                + ", lowUtilisation=" + lowUtilisation + ", idleShare=" + idleShare + ", minAcquisitions=" + minAcquisitions + "]";
    }

    public static final class Builder {
        private int instances = 1;
        private Optional<Integer> serverCores = Optional.empty();
        private int effectiveSpindles = 1;
        private Duration sampleInterval = Duration.ofMillis(100);
        private Duration waitThreshold = Duration.ofMillis(20);
        private double pendingShare = 0.05;
        private double lowUtilisation = 0.5;
        private double idleShare = 0.5;
        private long minAcquisitions = 100;

        private Builder() {
        }

        public Builder instances(int instances) {
            this.instances = between(SettingsTable.DB_INSTANCE_COUNT.env(), instances, 1);
            return this;
        }

        public Builder serverCores(int serverCores) {
            this.serverCores = Optional.of(between(SettingsTable.DB_SERVER_CORES.env(), serverCores, 1));
            return this;
        }

        public Builder effectiveSpindles(int effectiveSpindles) {
            this.effectiveSpindles = between(SettingsTable.DB_EFFECTIVE_SPINDLES.env(), effectiveSpindles, 0);
            return this;
        }

        public Builder sampleInterval(Duration sampleInterval) {
            Objects.requireNonNull(sampleInterval, "sampleInterval");
            if (sampleInterval.toMillis() < 1) {
                throw new ConfigurationException("poolAdvice.sampleInterval", "must be >= 1 ms but was " + sampleInterval);
            }
            this.sampleInterval = sampleInterval;
            return this;
        }

        public Builder waitThreshold(Duration waitThreshold) {
            Objects.requireNonNull(waitThreshold, "waitThreshold");
            if (waitThreshold.isZero() || waitThreshold.isNegative()) {
                throw new ConfigurationException("poolAdvice.waitThreshold", "must be > 0 but was " + waitThreshold);
            }
            this.waitThreshold = waitThreshold;
            return this;
        }

        public Builder pendingShare(double pendingShare) {
            this.pendingShare = share("poolAdvice.pendingShare", pendingShare);
            return this;
        }

        public Builder lowUtilisation(double lowUtilisation) {
            this.lowUtilisation = share("poolAdvice.lowUtilisation", lowUtilisation);
            return this;
        }

        public Builder idleShare(double idleShare) {
            this.idleShare = share("poolAdvice.idleShare", idleShare);
            return this;
        }

        public Builder minAcquisitions(long minAcquisitions) {
            if (minAcquisitions < 0) {
                throw new ConfigurationException("poolAdvice.minAcquisitions", "must be >= 0 but was " + minAcquisitions);
            }
            this.minAcquisitions = minAcquisitions;
            return this;
        }

        public PoolAdviceSettings build() {
            return new PoolAdviceSettings(this);
        }

        private static int between(String setting, int value, int min) {
            if (value < min || value > MAX_COUNT) {
                throw new ConfigurationException(setting, "must be from " + min + " to " + MAX_COUNT + " but was " + value);
            }
            return value;
        }

        private static double share(String setting, double value) {
            if (!(value > 0 && value <= 1)) {
                throw new ConfigurationException(setting, "must be in (0, 1] but was " + value);
            }
            return value;
        }
    }
}
