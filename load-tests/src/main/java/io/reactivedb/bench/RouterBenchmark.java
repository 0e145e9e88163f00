package io.reactivedb.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevPgBouncer;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.tools.PostgresBinaries;
import io.reactivedb.metrics.ReactiveDbMetrics;
import io.reactivedb.pool.EndpointPool;
import io.reactivedb.routing.ConsistencySession;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.vertx.pgclient.PgConnectOptions;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
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
     * needs PgBouncer installed ({@code bin/ensure-pgbouncer}).
     */
    static final List<String> OPTIONAL_CLIENTS = List.of("router-pgbouncer");

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
        Setup setup = new Setup(cluster, options);
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

    /** The pools, routers and peers of one run; builds a contender on demand, closes everything. */
    private static final class Setup implements AutoCloseable {
        private final DevCluster cluster;
        private final Options options;
        private final ReactiveDbSettings primaryOnly;
        private final ReactiveDbSettings withReplicas;
        private final List<AutoCloseable> closeables = new ArrayList<>();
        private final List<Mono<?>> warmUps = new ArrayList<>();
        private final Map<String, Object> shared = new LinkedHashMap<>();
        private final Set<String> notes = new LinkedHashSet<>();

        Setup(DevCluster cluster, Options options) {
            this.cluster = cluster;
            this.options = options;
            ReactiveDbSettings base = cluster.settings();
            PoolSettings pool = PoolSettings.builder().minIdle(options.poolSize()).maxSize(options.poolSize())
                    .acquireTimeout(Duration.ofSeconds(30)).build();
            this.primaryOnly = base.toBuilder().replicas(List.of()).pool(pool).build();
            this.withReplicas = base.toBuilder().pool(pool).build();
        }

        @SuppressWarnings("unchecked")
        private <T> T shared(String key, Supplier<T> create) {
            return (T) shared.computeIfAbsent(key, k -> create.get());
        }

        private ConnectionPool raw() {
            return shared("raw", () -> {
                ConnectionPool pool = rawPool(primaryOnly.primary(), primaryOnly, options.poolSize());
                closeables.add(() -> pool.disposeLater().block(Duration.ofSeconds(30)));
                warmUps.add(pool.warmup());
                return pool;
            });
        }

        /**
         * Routers: "bare" (no retry, breaker, slow-query log), "full" (defaults and Micrometer
         * metrics), "spread" (full, replicas), "pgbouncer" (full, through PgBouncer in transaction mode).
         */
        private ReactiveDbRouter router(String kind) {
            return shared("router-" + kind, () -> {
                ReactiveDbRouter router;
                if (kind.equals("pgbouncer")) {
                    DevPgBouncer pooler = cluster.startPgBouncer(Pooler.PGBOUNCER_TRANSACTION);
                    closeables.add(pooler);
                    ReactiveDbSettings through = pooler.settings();
                    ReactiveDbMetrics metrics = new ReactiveDbMetrics(new SimpleMeterRegistry());
                    router = ReactiveDbRouter.builder(through.toBuilder().replicas(List.of()).pool(primaryOnly.pool()).build())
                            .queryListener(metrics).build();
                    metrics.bindTo(router);
                    notes.add("router through PgBouncer: transaction mode, " + DevPgBouncer.SERVER_POOL_SIZE
                            + " server connections for the router's pool of " + options.poolSize() + ", unnamed statements");
                } else if (kind.equals("bare")) {
                    router = ReactiveDbRouter.builder(primaryOnly).noRetry().noBreakers().noSlowQueryLog().build();
                } else {
                    ReactiveDbMetrics metrics = new ReactiveDbMetrics(new SimpleMeterRegistry());
                    router = ReactiveDbRouter.builder(kind.equals("spread") ? withReplicas : primaryOnly).queryListener(metrics).build();
                    metrics.bindTo(router);
                }
                ReactiveDbRouter built = router;
                closeables.add(() -> built.shutdown().block(Duration.ofSeconds(30)));
                warmUps.add(router.warmUp());
                return router;
            });
        }

        Contender contender(String key) throws IOException {
            int rows = options.rows();
            switch (key) {
                case "pgbench" -> {
                    Path binary = PostgresBinaries.locate(Optional.empty()).executable("pgbench");
                    PgbenchLoad load = new PgbenchLoad(binary, DevCluster.HOST, cluster.primary().port(), cluster.database(),
                            cluster.appUser(), cluster.appPassword().reveal(), SELECT.replace("$1", ":id"), rows);
                    closeables.add(load);
                    return new Contender(key, "pgbench -S style, prepared", Kind.READ, "limit", load);
                }
                case "raw" -> {
                    ConnectionPool raw = raw();
                    return new Contender(key, "raw r2dbc-pool", Kind.READ, "peer", new ReactiveLoad(rows, id -> Flux.usingWhen(raw.create(),
                            connection -> Flux.from(connection.createStatement(SELECT).bind(0, id).execute())
                                    .flatMap(result -> result.map((row, meta) -> row.get(0, Long.class))),
                            Connection::close).single()));
                }
                case "raw-update" -> {
                    ConnectionPool raw = raw();
                    return new Contender(key, "raw r2dbc-pool, updates", Kind.WRITE, "peer", new ReactiveLoad(rows, id -> Flux.usingWhen(raw.create(),
                            connection -> Flux.from(connection.createStatement(UPDATE).bind(0, id).execute()).flatMap(Result::getRowsUpdated),
                            Connection::close).reduce(0L, Long::sum)));
                }
                case "spring" -> {
                    DatabaseClient client = DatabaseClient.create(raw());
                    return new Contender(key, "Spring DatabaseClient", Kind.READ, "peer", new ReactiveLoad(rows, id -> client.sql(SELECT)
                            .bind(0, id).map(row -> row.get(0, Long.class)).one()));
                }
                case "vertx", "vertx-pipelined" -> {
                    boolean pipelined = key.equals("vertx-pipelined");
                    PgConnectOptions connect = new PgConnectOptions().setHost(DevCluster.HOST).setPort(cluster.primary().port())
                            .setDatabase(cluster.database()).setUser(cluster.appUser()).setPassword(cluster.appPassword().reveal())
                            .setCachePreparedStatements(true);
                    VertxLoad load = new VertxLoad(connect, options.poolSize(), pipelined, SELECT, rows);
                    closeables.add(load);
                    return new Contender(key, pipelined ? "Vert.x PG client, pipelined" : "Vert.x PG pool", Kind.READ, "peer", load);
                }
                case "hikari" -> {
                    String url = "jdbc:postgresql://" + DevCluster.HOST + ":" + cluster.primary().port() + "/" + cluster.database();
                    JdbcLoad load = new JdbcLoad(url, cluster.appUser(), cluster.appPassword().reveal(), options.poolSize(),
                            SELECT.replace("$1", "?"), rows);
                    closeables.add(load);
                    if (!load.virtualThreads()) {
                        System.out.println("note: Java " + Runtime.version().feature()
                                + " has no virtual threads; HikariCP runs on platform threads (run with -Dbench.java=<JDK 21+> for virtual threads)");
                    }
                    return new Contender(key, load.virtualThreads() ? "HikariCP + pgjdbc, virtual threads" : "HikariCP + pgjdbc, platform threads",
                            Kind.READ, "peer", load);
                }
                case "router" -> {
                    ReactiveDbRouter router = router("bare");
                    return new Contender(key, "router, plain reads", Kind.READ, "router", new ReactiveLoad(rows, id -> router.read(
                            session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single()));
                }
                case "router-full" -> {
                    ReactiveDbRouter router = router("full");
                    return new Contender(key, "router, full operator stack", Kind.READ, "router", new ReactiveLoad(rows, id -> router.read(
                            session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single()));
                }
                case "router-spread" -> {
                    ReactiveDbRouter router = router("spread");
                    return new Contender(key, "router, reads over 2 replicas", Kind.READ, "router", new ReactiveLoad(rows, id -> router.read(
                            session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single()));
                }
                case "router-pgbouncer" -> {
                    ReactiveDbRouter router = router("pgbouncer");
                    return new Contender(key, "router through PgBouncer (transaction mode)", Kind.READ, "router", new ReactiveLoad(rows,
                            id -> router.read(session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single()));
                }
                case "router-write" -> {
                    ReactiveDbRouter router = router("full");
                    return new Contender(key, "router, updates", Kind.WRITE, "router", new ReactiveLoad(rows, id -> router.write(
                            session -> session.execute(UPDATE, id)).single()));
                }
                case "router-ryw" -> {
                    ReactiveDbRouter router = router("spread");
                    LongAdder onReplica = new LongAdder();
                    LongAdder reads = new LongAdder();
                    notes.add("router, update + read-your-writes read: one operation is an update followed by a READ_YOUR_WRITES read"
                            + " of the same row in one ConsistencySession");
                    closeables.add(() -> System.out.printf(Locale.ROOT, "read-your-writes reads served by a replica: %.1f %% of %d%n",
                            reads.sum() == 0 ? 0 : 100.0 * onReplica.sum() / reads.sum(), reads.sum()));
                    return new Contender(key, "router, update + read-your-writes read", Kind.WRITE_THEN_READ, "router", new ReactiveLoad(rows, id -> {
                        ConsistencySession session = ConsistencySession.start(null);
                        return router.write(s -> s.execute(UPDATE, id))
                                .then(router.read(ReadConsistency.readYourWrites(), s -> {
                                    reads.increment();
                                    if (!s.endpoint().equals(router.primary().name())) {
                                        onReplica.increment();
                                    }
                                    return s.query(SELECT, row -> row.get(0, Long.class), id);
                                }).single())
                                .contextWrite(session::into);
                    }));
                }
                default -> throw new IllegalArgumentException("unknown client " + key);
            }
        }

        void warmPools() {
            Mono.when(warmUps).block(Duration.ofSeconds(60));
        }

        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
            env.put("cpu", cpuModel());
            env.put("java", Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")");
            env.put("postgresql", cluster.serverVersion());
            env.put("r2dbc-postgresql", version(PostgresqlConnectionFactory.class));
            env.put("r2dbc-pool", version(ConnectionPool.class));
            env.put("reactor-core", version(Flux.class));
            env.put("spring-r2dbc", version(DatabaseClient.class));
            env.put("vertx-pg-client", version(PgConnectOptions.class));
            env.put("HikariCP", version(com.zaxxer.hikari.HikariDataSource.class));
            env.put("pgjdbc", version(org.postgresql.Driver.class));
            return env;
        }

        Set<String> notes() {
            return notes;
        }

        @Override
        public void close() {
            List<AutoCloseable> reversed = new ArrayList<>(closeables);
            Collections.reverse(reversed);
            for (AutoCloseable closeable : reversed) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    System.out.println("closing a client failed: " + e);
                }
            }
        }
    }

    /** A raw r2dbc-pool configured as the router configures its own: same driver settings, size and validation. */
    private static ConnectionPool rawPool(EndpointSettings endpoint, ReactiveDbSettings settings, int size) {
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(EndpointPool.connectionConfiguration(endpoint, settings.session()));
        return new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .initialSize(size).minIdle(size).maxSize(size)
                .maxAcquireTime(Duration.ofSeconds(30))
                .validationDepth(ValidationDepth.LOCAL)
                .build());
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    /** The library version from its jar's manifest, else from the jar's file name. */
    static String version(Class<?> type) {
        String version = type.getPackage() == null ? null : type.getPackage().getImplementationVersion();
        if (version != null) {
            return version;
        }
        try {
            String jar = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("-(\\d[^/]*)\\.jar$").matcher(jar);
            return m.find() ? m.group(1) : jar;
        } catch (Exception e) {
            return "?";
        }
    }
}
