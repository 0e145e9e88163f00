package io.reactivedb.load;

import java.time.Duration;

/**
 * What a simulation runs against and how hard, from system properties (Gatling's documented way
 * of passing parameters): {@code load.baseUrl} (default {@code http://127.0.0.1:8080}),
 * {@code load.rate} (new users per second, each doing one request, default 50),
 * {@code load.duration} (seconds, default 60), {@code load.accounts} (default 200),
 * {@code load.clusterEnv} (the dev cluster's env file, for the failover simulation) and
 * {@code load.maxFailures} (errors the failover simulation tolerates, default 2 × rate).
 */
record LoadSettings(String baseUrl, double rate, Duration duration, int accounts, String clusterEnv, long maxFailures) {

    static LoadSettings fromSystemProperties() {
        double rate = Double.parseDouble(System.getProperty("load.rate", "50"));
        if (!(rate > 0)) {
            throw new IllegalArgumentException("load.rate must be > 0");
        }
        long seconds = Long.parseLong(System.getProperty("load.duration", "60"));
        if (seconds < 1) {
            throw new IllegalArgumentException("load.duration must be >= 1 second");
        }
        int accounts = Integer.parseInt(System.getProperty("load.accounts", "200"));
        if (accounts < 2) {
            throw new IllegalArgumentException("load.accounts must be >= 2");
        }
        long maxFailures = Long.parseLong(System.getProperty("load.maxFailures", Long.toString(Math.max(2, Math.round(2 * rate)))));
        return new LoadSettings(System.getProperty("load.baseUrl", "http://127.0.0.1:8080"), rate, Duration.ofSeconds(seconds),
                accounts, System.getProperty("load.clusterEnv", ""), maxFailures);
    }
}
