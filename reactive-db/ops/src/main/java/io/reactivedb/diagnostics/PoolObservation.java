package io.reactivedb.diagnostics;

import io.reactivedb.pool.AcquireWaits;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one endpoint's pool did over a window: the evidence behind pool tuning advice.
 *
 * @param endpoint        the endpoint
 * @param window          how long it was watched
 * @param samples         pool statistics samples taken
 * @param maxSize         the pool's maximum, as the pool reported it
 * @param acquisitions    connections handed out in the window
 * @param acquireWaitP99  the 99th percentile of their waits (a bucket's upper bound)
 * @param acquireTimeouts callers that gave up waiting in the window
 * @param meanUtilisation mean share of the maximum in use, 0 to 1
 * @param peakAcquired    most connections in use in one sample
 * @param peakPending     most callers waiting in one sample
 * @param pendingShare    share of samples with callers waiting, 0 to 1
 * @param meanIdleShare   mean share of open connections idle, over samples with open connections; 0 without any
 */
public record PoolObservation(String endpoint, Duration window, int samples, int maxSize, long acquisitions, Duration acquireWaitP99,
                              long acquireTimeouts, double meanUtilisation, int peakAcquired, int peakPending, double pendingShare,
                              double meanIdleShare) {

    public PoolObservation {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(acquireWaitP99, "acquireWaitP99");
    }

    /**
     * Summarises {@code samples} taken over {@code window}.
     *
     * @param waits    acquire waits within the window ({@link AcquireWaits#since(AcquireWaits)})
     * @param timeouts acquire timeouts within the window
     * @throws IllegalArgumentException without samples
     */
    public static PoolObservation of(String endpoint, Duration window, List<PoolStatistics> samples, AcquireWaits waits, long timeouts) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("at least one sample is needed");
        }
        double utilisation = 0;
        double idleShare = 0;
        int withConnections = 0;
        int peakAcquired = 0;
        int peakPending = 0;
        int pendingSamples = 0;
        int max = 0;
        for (PoolStatistics sample : samples) {
            max = Math.max(max, sample.max());
            utilisation += sample.max() == 0 ? 0 : (double) sample.acquired() / sample.max();
            if (sample.allocated() > 0) {
                idleShare += (double) sample.idle() / sample.allocated();
                withConnections++;
            }
            peakAcquired = Math.max(peakAcquired, sample.acquired());
            peakPending = Math.max(peakPending, sample.pending());
            if (sample.pending() > 0) {
                pendingSamples++;
            }
        }
        return new PoolObservation(endpoint, window, samples.size(), max, waits.count(), waits.percentile(0.99), timeouts,
                utilisation / samples.size(), peakAcquired, peakPending, (double) pendingSamples / samples.size(),
                withConnections == 0 ? 0 : idleShare / withConnections);
    }
}
