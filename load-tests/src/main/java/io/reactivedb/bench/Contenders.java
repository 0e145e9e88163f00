package io.reactivedb.bench;

import static io.reactivedb.bench.RouterBenchmark.SELECT;
import static io.reactivedb.bench.RouterBenchmark.UPDATE;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.bench.RouterBenchmark.Contender;
import io.reactivedb.bench.RouterBenchmark.Kind;
import io.reactivedb.bench.RouterBenchmark.Options;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevPgBouncer;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.metrics.ReactiveDbMetrics;
import io.reactivedb.observation.ObservationStatementTracer;
import io.reactivedb.pool.LeakDetection;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.reactivedb.routing.RouterBuilder;
import io.reactivedb.routing.RouterFeature;
import io.reactivedb.tools.PostgresBinaries;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The pools, routers and peers of one benchmark run: builds each contender on demand (clients
 * several contenders share are built once), warms the pools, describes the environment and closes
 * everything in reverse order.
 */
final class Contenders implements AutoCloseable {
    /** The leak detection threshold of {@code router-leaks}: far above any unit here, so only the timers' cost shows. */
    private static final Duration LEAK_THRESHOLD = Duration.ofSeconds(30);
    private final DevCluster cluster;
    private final Options options;
    private final ReactiveDbSettings primaryOnly;
    private final ReactiveDbSettings withReplicas;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Mono<?>> warmUps = new ArrayList<>();
    private final Map<String, Object> shared = new LinkedHashMap<>();
    private final Set<String> notes = new LinkedHashSet<>();

    Contenders(DevCluster cluster, Options options) {
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
     * metrics), "spread" (full, replicas), "pgbouncer" (full, through PgBouncer in transaction mode),
     * "leaks" (full with leak detection at a 30 s threshold, which never fires here: its cost per unit),
     * "traced" (full with a statement tracer on an observation registry whose handler is {@code spans}).
     */
    private ReactiveDbRouter router(String kind) {
        return router(kind, null);
    }

    private ReactiveDbRouter router(String kind, @Nullable SpanRecorder spans) {
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
                router = ReactiveDbRouter.builder(primaryOnly).without(RouterFeature.RETRY, RouterFeature.CIRCUIT_BREAKERS, RouterFeature.SLOW_QUERY_LOG).build();
            } else {
                ReactiveDbMetrics metrics = new ReactiveDbMetrics(new SimpleMeterRegistry());
                RouterBuilder builder = ReactiveDbRouter.builder(kind.equals("spread") ? withReplicas : primaryOnly).queryListener(metrics)
                        .leakDetection(kind.equals("leaks") ? LeakDetection.after(LEAK_THRESHOLD) : LeakDetection.off());
                if (spans != null) {
                    ObservationRegistry registry = ObservationRegistry.create();
                    registry.observationConfig().observationHandler(spans);
                    builder.statementTracer(new ObservationStatementTracer(registry));
                }
                router = builder.build();
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
            case "router-leaks" -> {
                ReactiveDbRouter router = router("leaks");
                notes.add("router, full + leak detection: DB_LEAK_DETECTION_THRESHOLD=" + LEAK_THRESHOLD.toSeconds()
                        + "s (never reached: one timer scheduled and cancelled per unit)");
                return new Contender(key, "router, full + leak detection", Kind.READ, "router", new ReactiveLoad(rows, id -> router.read(
                        session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single()));
            }
            case "router-traced" -> {
                SpanRecorder spans = new SpanRecorder();
                ReactiveDbRouter router = router("traced", spans);
                notes.add("router, full + tracing: a Micrometer ObservationRegistry with a handler standing in for a tracer that"
                        + " samples every span (ids, timing, every key value read at stop; nothing exported)");
                closeables.add(() -> System.out.printf(Locale.ROOT, "statement spans recorded by router-traced: %d%n", spans.spans()));
                return new Contender(key, "router, full + statement tracing", Kind.READ, "router", new ReactiveLoad(rows, id -> router.read(
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
                        + " of the same row in one ConsistencyTracker");
                closeables.add(() -> System.out.printf(Locale.ROOT, "read-your-writes reads served by a replica: %.1f %% of %d%n",
                        reads.sum() == 0 ? 0 : 100.0 * onReplica.sum() / reads.sum(), reads.sum()));
                return new Contender(key, "router, update + read-your-writes read", Kind.WRITE_THEN_READ, "router", new ReactiveLoad(rows, id -> {
                    ConsistencyTracker session = ConsistencyTracker.start(null);
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
