package io.reactivedb.bench;

import java.time.Duration;

/**
 * One client under test. {@link #run} keeps {@code concurrency} operations in flight until the
 * deadline and records each one; CPU is measured around it by the caller, unless the client runs in
 * a process of its own ({@link #externalCpuNanos}).
 */
interface Load extends AutoCloseable {

    /** Runs operations until {@code endNanos} ({@link System#nanoTime()}), keeping {@code concurrency} in flight. */
    void run(long endNanos, int concurrency, Recorder recorder) throws Exception;

    /**
     * For a client in another process: the CPU it used in its last {@link #run}, in nanoseconds;
     * negative for clients inside this JVM.
     */
    default long externalCpuNanos() {
        return -1;
    }

    /** For a client that measures itself (pgbench): its own throughput of the last run, else NaN. */
    default double ownOpsPerSecond() {
        return Double.NaN;
    }

    /** A note printed with the client's results, or empty. */
    default String note() {
        return "";
    }

    @Override
    default void close() throws Exception {
    }

    static long deadline(Duration duration) {
        return System.nanoTime() + duration.toNanos();
    }
}
