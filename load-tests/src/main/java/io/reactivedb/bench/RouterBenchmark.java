package io.reactivedb.bench;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Every client of the same PostgreSQL primary in one run, on the same table (100,000 rows by
 * default), with the same primary-key read (or single-row update), the same number of operations
 * in flight and the same pool size: {@code pgbench} (the machine's limit), raw r2dbc-pool, Spring's
 * {@code DatabaseClient}, the Vert.x PG client with and without pipelining, HikariCP + pgjdbc on
 * virtual threads, and the router in its configurations. Each client is warmed up, then measured
 * in rounds whose client order is reversed every other round, so drift of a shared machine falls
 * on all; the figures are medians over rounds, with the spread, and every one is also given as a
 * ratio to raw r2dbc-pool and to pgbench of the same run.
 *
 * <p>Run: {@code ./mvnw -pl load-tests -am -Pbench -DskipTests verify}; options through
 * {@code -Dbench.args="--rounds=3 --seconds=10 --warmup=10 --concurrency=64 --pool=16 --rows=100000"},
 * {@code --clients=raw,router-full} to run a subset, {@code --chart=PATH} / {@code --markdown=PATH}
 * for the outputs. {@code -Dbench.java=/path/to/java} runs it on another JDK (21+ for virtual threads).
 */
public final class RouterBenchmark {

    static final String SELECT = "SELECT balance FROM bench_accounts WHERE id = $1";
    static final String UPDATE = "UPDATE bench_accounts SET balance = balance + 1 WHERE id = $1";

    /** What an operation is: the ratios compare like with like. */
    enum Kind { READ, WRITE, WRITE_THEN_READ }

    /**
     * Benchmark options.
     *
     * @param clients keys of the clients to run, in order; all of {@link #CLIENTS} by default
     * @param pgbenchClients pgbench connections ({@code -c}); by default the concurrency
     */
    record Options(int rounds, Duration round, Duration warmup, int concurrency, int poolSize, int rows, List<String> clients,
                   int pgbenchClients, Optional<Path> chart, Optional<Path> markdown) {

        static Options parse(String... args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (String arg : args) {
                if (arg.isBlank()) {
                    continue;
                }
                String[] kv = arg.replaceFirst("^--", "").split("=", 2);
                if (kv.length != 2) {
                    throw new IllegalArgumentException("expected --name=value but got " + arg);
                }
                given.put(kv[0], kv[1]);
            }
            int concurrency = Integer.parseInt(given.getOrDefault("concurrency", "64"));
            List<String> clients = given.containsKey("clients") ? List.of(given.get("clients").split(",")) : CLIENTS;
            for (String client : clients) {
                if (!CLIENTS.contains(client) && !OPTIONAL_CLIENTS.contains(client)) {
                    throw new IllegalArgumentException("unknown client " + client + "; known: " + CLIENTS + " and " + OPTIONAL_CLIENTS);
                }
            }
            Options options = new Options(
                    Integer.parseInt(given.getOrDefault("rounds", "3")),
                    Duration.ofSeconds(Long.parseLong(given.getOrDefault("seconds", "10"))),
                    Duration.ofSeconds(Long.parseLong(given.getOrDefault("warmup", "10"))),
                    concurrency,
                    Integer.parseInt(given.getOrDefault("pool", "16")),
                    Integer.parseInt(given.getOrDefault("rows", "100000")),
                    clients,
                    Integer.parseInt(given.getOrDefault("pgbench-clients", Integer.toString(concurrency))),
                    Optional.ofNullable(given.get("chart")).filter(s -> !s.isBlank()).map(Path::of),
                    Optional.ofNullable(given.get("markdown")).filter(s -> !s.isBlank()).map(Path::of));
            given.keySet().removeAll(List.of("rounds", "seconds", "warmup", "concurrency", "pool", "rows", "clients",
                    "pgbench-clients", "chart", "markdown"));
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("unknown options " + given.keySet());
            }
            if (options.rounds() < 1 || options.round().isZero() || options.concurrency() < 1 || options.poolSize() < 1 || options.rows() < 1) {
                throw new IllegalArgumentException("rounds, seconds, concurrency, pool and rows must be > 0");
            }
            return options;
        }
    }

    /** Every client, in the order of the report. */
    static final List<String> CLIENTS = List.of("pgbench", "raw", "spring", "vertx", "vertx-pipelined", "hikari",
            "router", "router-full", "router-spread", "raw-update", "router-write", "router-ryw");
    /**
     * Clients run only when {@code --clients} names them: {@code router-pgbouncer} (the full router
     * through the system's PgBouncer in transaction mode, {@code DB_POOLER=pgbouncer-transaction})
     * needs PgBouncer installed ({@code bin/ensure-pgbouncer}); {@code router-leaks} is the full router
     * with leak detection on (30 s, never reached), for its cost beside {@code router-full};
     * {@code router-traced} the full router with statement tracing at 100 % sampling ({@link SpanRecorder}).
     */
    static final List<String> OPTIONAL_CLIENTS = List.of("router-pgbouncer", "router-leaks", "router-traced");

    /** A client of the run: its key, label, kind and chart group, and the load that drives it. */
    record Contender(String key, String label, Kind kind, String group, Load load) {
    }

    /** All rounds of one contender. */
    record Series(Contender contender, List<Measurement> rounds) {
        double median(java.util.function.ToDoubleFunction<Measurement> figure) {
            return RouterBenchmark.median(rounds.stream().mapToDouble(figure).toArray());
        }

        double min() {
            return rounds.stream().mapToDouble(Measurement::opsPerSecond).min().orElse(0);
        }

        double max() {
            return rounds.stream().mapToDouble(Measurement::opsPerSecond).max().orElse(0);
        }
    }

    private RouterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        try (DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build())) {
            seed(cluster, options.rows());
            Report report = run(cluster, options);
            System.out.println();
            System.out.println(report.text());
            // The output paths the pom adds are not part of the command a reader re-runs.
            String markdown = report.markdown(String.join(" ", Arrays.stream(args)
                    .filter(arg -> !arg.startsWith("--chart=") && !arg.startsWith("--markdown=")).toList()));
            System.out.println(markdown);
            if (options.markdown().isPresent()) {
                write(options.markdown().get(), markdown);
            }
            if (options.chart().isPresent()) {
                write(options.chart().get(), report.chart());
                System.out.println("chart written to " + options.chart().get().toAbsolutePath().normalize());
            }
        }
    }

    private static void write(Path file, String content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    /** Creates and fills {@code bench_accounts} on the primary and waits until both replicas have it. */
    static void seed(DevCluster cluster, int rows) {
        cluster.psql(cluster.primary(), cluster.database(),
                "DROP TABLE IF EXISTS bench_accounts;"
                        + "CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL);"
                        + "INSERT INTO bench_accounts SELECT g, g * 10 FROM generate_series(1, " + rows + ") g;"
                        + "GRANT SELECT, UPDATE ON bench_accounts TO " + cluster.appUser());
        // Its own command: VACUUM cannot run inside the transaction psql -c wraps several statements in.
        cluster.psql(cluster.primary(), cluster.database(), "VACUUM ANALYZE bench_accounts");
        String lsn = cluster.psql(cluster.primary(), cluster.database(), "SELECT pg_current_wal_lsn()");
        for (DevNode replica : cluster.replicas()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"t".equals(cluster.psql(replica, cluster.database(), "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(replica.name() + " did not replay the benchmark table within 60 s");
                }
                Mono.delay(Duration.ofMillis(100)).block();
            }
        }
    }

    /** Builds the chosen clients, warms each up, measures them in rounds and closes them. */
    static Report run(DevCluster cluster, Options options) throws Exception {
        Contenders setup = new Contenders(cluster, options);
        try {
            List<Contender> contenders = new ArrayList<>();
            for (String key : options.clients()) {
                contenders.add(setup.contender(key));
            }
            setup.warmPools();
            System.out.printf(Locale.ROOT, "reactive-db benchmark: %d rows, %d in flight, pool %d, %d round(s) of %d s after %d s warm-up;"
                            + " Java %s (%s), %d cores; PostgreSQL %s%n",
                    options.rows(), options.concurrency(), options.poolSize(), options.rounds(), options.round().toSeconds(),
                    options.warmup().toSeconds(), Runtime.version(), System.getProperty("java.vm.vendor"),
                    Runtime.getRuntime().availableProcessors(), cluster.serverVersion());
            if (!options.warmup().isZero()) {
                for (Contender contender : contenders) {
                    Measurement warm = measure(contender, options.warmup(), options);
                    System.out.printf(Locale.ROOT, "warm-up %-34s %10.0f ops/s  errors %d%n", contender.label(), warm.opsPerSecond(), warm.errors());
                }
            }
            Map<String, List<Measurement>> byKey = new LinkedHashMap<>();
            for (int round = 0; round < options.rounds(); round++) {
                List<Contender> order = new ArrayList<>(contenders);
                if (round % 2 == 1) {
                    Collections.reverse(order);
                }
                for (Contender contender : order) {
                    Measurement m = measure(contender, options.round(), options);
                    byKey.computeIfAbsent(contender.key(), k -> new ArrayList<>()).add(m);
                    System.out.printf(Locale.ROOT, "round %d  %-34s %10.0f ops/s  p50 %7.0f us  p99 %7.0f us  cpu %6.1f us/op  alloc %6.0f B/op  errors %d%n",
                            round + 1, contender.label(), m.opsPerSecond(), m.p50Micros(), m.p99Micros(), m.cpuMicrosPerOp(), m.bytesPerOp(), m.errors());
                }
            }
            List<Series> series = new ArrayList<>();
            for (Contender contender : contenders) {
                series.add(new Series(contender, byKey.get(contender.key())));
            }
            return new Report(options, series, setup.environment(), setup.notes());
        } finally {
            setup.close();
        }
    }

    private static Measurement measure(Contender contender, Duration duration, Options options) throws Exception {
        Load load = contender.load();
        int concurrency = contender.key().equals("pgbench") ? options.pgbenchClients() : options.concurrency();
        System.gc();
        Recorder recorder = new Recorder();
        long cpuBefore = processCpuNanos();
        long allocatedBefore = allocatedBytes();
        long start = System.nanoTime();
        load.run(start + duration.toNanos(), concurrency, recorder);
        long elapsed = System.nanoTime() - start;
        long cpu = processCpuNanos() - cpuBefore;
        long allocated = allocatedBytes() - allocatedBefore;
        if (load.externalCpuNanos() >= 0) {
            cpu = load.externalCpuNanos();
        }
        if (recorder.firstError() != null && recorder.errors() > 0) {
            System.out.printf(Locale.ROOT, "  %s: %d error(s), first: %s%n", contender.label(), recorder.errors(), recorder.firstError());
        }
        long ops = recorder.ops();
        double opsPerSecond = Double.isNaN(load.ownOpsPerSecond()) ? ops / (elapsed / 1e9) : load.ownOpsPerSecond();
        double bytesPerOp = load.externalCpuNanos() >= 0 || ops == 0 ? Double.NaN : (double) allocated / ops;
        return new Measurement(ops, recorder.errors(), opsPerSecond, recorder.latencies.valueAt(0.50) / 1e3,
                recorder.latencies.valueAt(0.99) / 1e3, ops == 0 ? 0 : cpu / 1e3 / ops, bytesPerOp);
    }

    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /**
     * Bytes allocated so far by the threads alive now (HotSpot's per-thread counters). Threads that
     * ended inside a window are missed, so a client that starts threads per window (the JDBC
     * client) reads low; the event loops and schedulers of the reactive clients live for the whole run.
     */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads && threads.isThreadAllocatedMemoryEnabled()) {
            long total = 0;
            for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                total += Math.max(bytes, 0);
            }
            return total;
        }
        return 0;
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
