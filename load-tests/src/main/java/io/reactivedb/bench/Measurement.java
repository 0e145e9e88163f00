package io.reactivedb.bench;

/** One client's figures over one measurement window; {@code bytesPerOp} is NaN for a client in another process. */
record Measurement(long ops, long errors, double opsPerSecond, double p50Micros, double p99Micros, double cpuMicrosPerOp,
                   double bytesPerOp) {
}
