package io.reactivedb.bench;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.pool.EndpointPool;
import io.reactivedb.routing.ReactiveDbRouter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Single-row primary-key reads through the router against the same reads on a raw r2dbc-pool of the
 * same size, at the same concurrency, on the same dev-services primary, in one run. Rounds alternate
 * the order of the clients so that drift of a shared, noisy machine falls on both; the figures that
 * count are the medians over rounds and the ratio router/raw.
 *
 * <p>Run: {@code ./mvnw -pl load-tests -am -Pbench -DskipTests verify}; options through
 * {@code -Dbench.args="--rounds=5 --seconds=10 --warmup=10 --concurrency=64 --pool=16 --rows=100000"}.
 */
public final class RouterBenchmark {

    private static final String SELECT = "SELECT balance FROM bench_accounts WHERE id = $1";

    private record Options(int rounds, Duration round, Duration warmup, int concurrency, int poolSize, int rows) {
        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (String arg : args) {
                String[] kv = arg.replaceFirst("^--", "").split("=", 2);
                if (kv.length != 2) {
                    throw new IllegalArgumentException("expected --name=value but got " + arg);
                }
                given.put(kv[0], kv[1]);
            }
            Options options = new Options(
                    Integer.parseInt(given.getOrDefault("rounds", "5")),
                    Duration.ofSeconds(Long.parseLong(given.getOrDefault("seconds", "10"))),
                    Duration.ofSeconds(Long.parseLong(given.getOrDefault("warmup", "10"))),
                    Integer.parseInt(given.getOrDefault("concurrency", "64")),
                    Integer.parseInt(given.getOrDefault("pool", "16")),
                    Integer.parseInt(given.getOrDefault("rows", "100000")));
            given.keySet().removeAll(List.of("rounds", "seconds", "warmup", "concurrency", "pool", "rows"));
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("unknown options " + given.keySet());
            }
            return options;
        }
    }

    /** One client under test: reads the balance of account {@code id}. */
    private record Client(String name, IntFunction<Mono<Long>> read) {
    }

    private record Result(String client, long ops, long errors, double opsPerSecond, double p50Micros, double p99Micros, double cpuMicrosPerOp) {
    }

    private RouterBenchmark() {
    }

    public static void main(String[] args) {
        Options options = Options.parse(args);
        // The router's health probes, retry, breakers and deadlines run on this scheduler as well.
        try (DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build())) {
            seed(cluster, options.rows());
            run(cluster, options);
        }
    }

    private static void seed(DevCluster cluster, int rows) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL);"
                        + "INSERT INTO bench_accounts SELECT g, g * 10 FROM generate_series(1, " + rows + ") g;"
                        + "ANALYZE bench_accounts;"
                        + "GRANT SELECT, UPDATE ON bench_accounts TO " + cluster.appUser());
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

    private static void run(DevCluster cluster, Options options) {
        ReactiveDbSettings base = cluster.settings();
        PoolSettings pool = PoolSettings.builder().minIdle(options.poolSize()).maxSize(options.poolSize())
                .acquireTimeout(Duration.ofSeconds(30)).build();
        ReactiveDbSettings primaryOnly = base.toBuilder().replicas(List.of()).pool(pool).build();
        ReactiveDbRouter router = ReactiveDbRouter.create(primaryOnly);
        // The same router without the resilience layers (retry, breaker, slow-query log): what they cost.
        ReactiveDbRouter bare = ReactiveDbRouter.builder(primaryOnly).noRetry().noBreakers().noSlowQueryLog().build();
        ReactiveDbRouter spread = ReactiveDbRouter.create(base.toBuilder().pool(pool).build());
        ConnectionPool raw = rawPool(primaryOnly.primary(), primaryOnly, options.poolSize());
        try {
            router.warmUp().block();
            bare.warmUp().block();
            spread.warmUp().block();
            raw.warmup().block();

            Client rawClient = new Client("raw r2dbc-pool", id -> Flux.usingWhen(raw.create(),
                    connection -> Flux.from(connection.createStatement(SELECT).bind(0, id).execute())
                            .flatMap(result -> result.map((row, meta) -> row.get(0, Long.class))),
                    Connection::close).single());
            Client routerClient = new Client("router (primary)", id -> router.read(
                    session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single());
            Client bareClient = new Client("router bare (primary)", id -> bare.read(
                    session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single());
            Client spreadClient = new Client("router (2 replicas)", id -> spread.read(
                    session -> session.query(SELECT, row -> row.get(0, Long.class), id)).single());
            List<Client> clients = List.of(rawClient, routerClient, bareClient, spreadClient);

            System.out.printf(Locale.ROOT, "reactive-db router benchmark: %d rows, %d in flight, pool %d, %d rounds of %ds after %ds warm-up, %s, %d cores%n",
                    options.rows(), options.concurrency(), options.poolSize(), options.rounds(), options.round().toSeconds(),
                    options.warmup().toSeconds(), Runtime.version(), Runtime.getRuntime().availableProcessors());
            for (Client client : clients) {
                measure(client, options.warmup(), options.concurrency(), options.rows());
            }
            Map<String, List<Result>> results = new LinkedHashMap<>();
            for (int round = 0; round < options.rounds(); round++) {
                List<Client> order = new ArrayList<>(clients);
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Client client : order) {
                    Result result = measure(client, options.round(), options.concurrency(), options.rows());
                    results.computeIfAbsent(client.name(), k -> new ArrayList<>()).add(result);
                    System.out.printf(Locale.ROOT, "round %d  %-24s %10.0f ops/s  p50 %7.0f us  p99 %7.0f us  cpu %5.1f us/op  errors %d%n",
                            round + 1, client.name(), result.opsPerSecond(), result.p50Micros(), result.p99Micros(),
                            result.cpuMicrosPerOp(), result.errors());
                }
            }
            report(results, rawClient.name(), routerClient.name());
        } finally {
            Mono.when(router.shutdown(), bare.shutdown(), spread.shutdown(), raw.disposeLater()).block(Duration.ofSeconds(30));
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

    private static Result measure(Client client, Duration duration, int concurrency, int rows) {
        int capacity = 8_000_000;
        long[] samples = new long[capacity];
        AtomicInteger recorded = new AtomicInteger();
        AtomicLong ops = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long cpuBefore = processCpuNanos();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        Flux.range(0, concurrency)
                .flatMap(worker -> Mono.defer(() -> {
                            long t0 = System.nanoTime();
                            int id = ThreadLocalRandom.current().nextInt(1, rows + 1);
                            return client.read().apply(id)
                                    .doOnNext(balance -> {
                                        ops.incrementAndGet();
                                        int slot = recorded.getAndIncrement();
                                        if (slot < capacity) {
                                            samples[slot] = System.nanoTime() - t0;
                                        }
                                    })
                                    .onErrorResume(error -> {
                                        errors.incrementAndGet();
                                        return Mono.empty();
                                    });
                        })
                        .repeat(() -> System.nanoTime() < end), concurrency)
                .blockLast();
        long elapsed = System.nanoTime() - start;
        long cpu = processCpuNanos() - cpuBefore;
        int n = Math.min(recorded.get(), capacity);
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        long count = ops.get();
        return new Result(client.name(), count, errors.get(), count / (elapsed / 1e9),
                percentile(sorted, 0.50) / 1e3, percentile(sorted, 0.99) / 1e3, count == 0 ? 0 : cpu / 1e3 / count);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static void report(Map<String, List<Result>> results, String baseline, String router) {
        System.out.println();
        System.out.println("medians over rounds (spread = min..max throughput)");
        double baseOps = median(results.get(baseline).stream().mapToDouble(Result::opsPerSecond).toArray());
        for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
            double[] throughput = entry.getValue().stream().mapToDouble(Result::opsPerSecond).toArray();
            double ops = median(throughput);
            System.out.printf(Locale.ROOT, "%-24s %10.0f ops/s (%.0f..%.0f)  p50 %7.0f us  p99 %7.0f us  cpu %5.1f us/op  ratio to raw %.3f%n",
                    entry.getKey(), ops, Arrays.stream(throughput).min().orElse(0), Arrays.stream(throughput).max().orElse(0),
                    median(entry.getValue().stream().mapToDouble(Result::p50Micros).toArray()),
                    median(entry.getValue().stream().mapToDouble(Result::p99Micros).toArray()),
                    median(entry.getValue().stream().mapToDouble(Result::cpuMicrosPerOp).toArray()),
                    ops / baseOps);
        }
        List<Result> raw = results.get(baseline);
        List<Result> routed = results.get(router);
        double[] perRound = new double[raw.size()];
        for (int i = 0; i < raw.size(); i++) {
            perRound[i] = routed.get(i).opsPerSecond() / raw.get(i).opsPerSecond();
        }
        System.out.printf(Locale.ROOT, "router/raw throughput ratio: median %.3f, per round %s%n", median(perRound),
                Arrays.stream(perRound).mapToObj(r -> String.format(Locale.ROOT, "%.3f", r)).toList());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
