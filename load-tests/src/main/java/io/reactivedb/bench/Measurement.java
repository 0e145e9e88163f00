package io.reactivedb.bench;

/** One client's figures over one measurement window. */
record Measurement(long ops, long errors, double opsPerSecond, double p50Micros, double p99Micros, double cpuMicrosPerOp) {
}
