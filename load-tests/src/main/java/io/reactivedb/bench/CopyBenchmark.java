package io.reactivedb.bench;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.RouterFeature;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import reactor.core.publisher.Flux;

/**
 * Bulk insert of the same rows, in one process on one connection each: {@code DbSession.copyIn}
 * ({@code COPY ... FROM STDIN}) against {@code DbSession.executeBatch} (one multi-row
 * {@code INSERT} batch per {@code --batch} rows). Prints rows/s of each and the ratio.
 *
 * <p>{@code ./mvnw -B -pl load-tests -am -Pcopy-bench -DskipTests verify -Dcopy.args="--rows=1000000 --batch=1000 --rounds=2"}
 */
public final class CopyBenchmark {

    private static final String TABLE = "bench_copy";
    private static final List<String> COLUMNS = List.of("id", "note", "amount", "at");
    private static final String INSERT = "INSERT INTO " + TABLE + " (id, note, amount, at) VALUES ($1, $2, $3, $4)";
    private static final OffsetDateTime AT = OffsetDateTime.of(2024, 1, 1, 12, 0, 0, 0, ZoneOffset.UTC);
    private static final Duration WAIT = Duration.ofMinutes(10);

    private CopyBenchmark() {
    }

    public static void main(String[] args) {
        int rows = option(args, "rows", 1_000_000);
        int batch = option(args, "batch", 1000);
        int rounds = option(args, "rounds", 2);
        try (DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(0).build())) {
            cluster.psql(cluster.primary(), cluster.database(), "CREATE TABLE " + TABLE
                    + " (id bigint, note text, amount numeric, at timestamptz); GRANT ALL ON " + TABLE + " TO " + cluster.appUser());
            ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                    .without(RouterFeature.HEALTH_MONITORING)
                    .queryTimeout(WAIT)
                    .build();
            try {
                copy(router, 50_000);
                batch(router, 50_000, batch); // warm-up of both paths
                for (int round = 1; round <= rounds; round++) {
                    double batched = rowsPerSecond(rows, () -> batch(router, rows, batch));
                    double copied = rowsPerSecond(rows, () -> copy(router, rows));
                    System.out.printf(Locale.ROOT, "round %d: executeBatch %,.0f rows/s, copyIn %,.0f rows/s, copyIn/executeBatch %.1fx (%,d rows, batches of %,d)%n",
                            round, batched, copied, copied / batched, rows, batch);
                }
            } finally {
                router.shutdown().block(WAIT);
            }
        }
    }

    private static Object[] row(int i) {
        return new Object[] {(long) i, "note\t" + i + "\\n", BigDecimal.valueOf(i, 2), AT.plusSeconds(i)};
    }

    private static void copy(ReactiveDbRouter router, int rows) {
        truncate(router);
        Long copied = router.write(s -> s.copyIn(TABLE, COLUMNS, Flux.range(0, rows).map(CopyBenchmark::row))).blockLast(WAIT);
        check(rows, copied);
    }

    private static void batch(ReactiveDbRouter router, int rows, int batch) {
        truncate(router);
        Long inserted = Flux.range(0, (rows + batch - 1) / batch)
                .concatMap(b -> {
                    List<Object[]> chunk = new ArrayList<>(batch);
                    for (int i = b * batch; i < Math.min(rows, (b + 1) * batch); i++) {
                        chunk.add(row(i));
                    }
                    return router.write(s -> s.executeBatch(INSERT, chunk).reduce(0L, Long::sum));
                })
                .reduce(0L, Long::sum)
                .block(WAIT);
        check(rows, inserted);
    }

    private static void truncate(ReactiveDbRouter router) {
        router.write(s -> s.execute("TRUNCATE " + TABLE)).blockLast(WAIT);
    }

    private static void check(int expected, Long actual) {
        if (actual == null || actual != expected) {
            throw new IllegalStateException("expected " + expected + " rows but got " + actual);
        }
    }

    private static double rowsPerSecond(int rows, Runnable work) {
        long started = System.nanoTime();
        work.run();
        return rows / ((System.nanoTime() - started) / 1e9);
    }

    private static int option(String[] args, String name, int fallback) {
        for (String arg : args) {
            if (arg.startsWith("--" + name + "=")) {
                return Integer.parseInt(arg.substring(name.length() + 3));
            }
        }
        return fallback;
    }
}
