package io.reactivedb.routing;

import io.r2dbc.spi.Row;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.devservices.DevServicesException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The pooler workload: parameterised reads with distinct values, each checked row by row;
 * concurrent INSERTs, audited by their ids; SERIALIZABLE transfers between accounts, audited by
 * the total. Counts wrong results and errors (by exception type and SQLSTATE) instead of failing
 * at the first, so the same run gives the "before" figures of a misconfigured router and proves
 * the configured one clean.
 */
final class PoolerWorkload {

    static final int ROWS = 10_000;
    static final int ACCOUNTS = 20;
    static final long OPENING_BALANCE = 1_000;
    private static final Duration WAIT = Duration.ofMinutes(3);

    /**
     * Four statement texts, so that one connection's {@code S_n} is another statement in another
     * connection's session: two with one integer (as "find by id" and "find by parent id" are in an
     * application: the wrong one runs without an error and returns another row), one with text, one
     * with two parameters.
     */
    private static final List<Read> READS = List.of(
            new Read("SELECT id, payload FROM pooler_it WHERE id = $1", id -> new Object[] {id}),
            new Read("SELECT id, payload FROM pooler_it WHERE id = $1 - 1", id -> new Object[] {id + 1}),
            new Read("SELECT id, payload FROM pooler_it WHERE payload = $1", id -> new Object[] {"p-" + id}),
            new Read("SELECT id, payload FROM pooler_it WHERE id = $1 AND length(payload) > $2", id -> new Object[] {id, 0}));

    private record Read(String sql, Function<Integer, Object[]> params) {
    }

    private record Item(int id, String payload) {
        static Item of(Row row) {
            return new Item(row.get("id", Integer.class), row.get("payload", String.class));
        }
    }

    /** What one run found. */
    static final class Figures {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger wrongReads = new AtomicInteger();
        final AtomicInteger writesOk = new AtomicInteger();
        final AtomicInteger transfersOk = new AtomicInteger();
        final AtomicInteger serializationGiveUps = new AtomicInteger();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        /** The first message of each kind of error. */
        final Map<String, String> samples = new ConcurrentHashMap<>();
        long writeRows;
        long total;

        void error(String phase, Throwable error) {
            String state = error instanceof ReactiveDbException known ? known.sqlState().orElse("-") : "-";
            String key = phase + " " + error.getClass().getSimpleName() + " " + state;
            errors.computeIfAbsent(key, k -> new LongAdder()).increment();
            samples.putIfAbsent(key, String.valueOf(error.getMessage()));
        }

        long errorCount() {
            return errors.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        public String toString() {
            Map<String, Long> sorted = new TreeMap<>();
            errors.forEach((key, count) -> sorted.put(key, count.sum()));
            return "reads " + reads + " (wrong rows " + wrongReads + "), inserts ok " + writesOk + " (rows found " + writeRows
                    + "), transfers ok " + transfersOk + " (serialization retries exhausted " + serializationGiveUps
                    + "), total " + total + " of " + ACCOUNTS * OPENING_BALANCE + ", errors " + errorCount() + " " + sorted;
        }
    }

    private PoolerWorkload() {
    }

    /** Creates the tables on the primary (as the superuser) and waits until every replica has the rows. */
    static void schema(DevCluster cluster) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS pooler_it (id int PRIMARY KEY, payload text NOT NULL);"
                        + "CREATE TABLE IF NOT EXISTS pooler_writes (id uuid PRIMARY KEY, n int NOT NULL);"
                        + "CREATE TABLE IF NOT EXISTS pooler_accounts (id int PRIMARY KEY, balance bigint NOT NULL);"
                        + "TRUNCATE pooler_it;"
                        + "INSERT INTO pooler_it SELECT i, 'p-' || i FROM generate_series(1, " + ROWS + ") i;"
                        + "GRANT SELECT, INSERT, UPDATE, DELETE ON pooler_it, pooler_writes, pooler_accounts TO " + cluster.appUser());
        for (DevNode replica : cluster.replicas()) {
            Await.until("pooler_it on " + replica, Duration.ofSeconds(30), () -> {
                try {
                    return cluster.psql(replica, cluster.database(), "SELECT count(*) FROM pooler_it").equals(Integer.toString(ROWS));
                } catch (DevServicesException e) {
                    return false; // the table itself has not been replayed yet
                }
            });
        }
    }

    static Figures run(DevCluster cluster, ReactiveDbRouter router, int reads, int writes, int transfers) {
        cluster.psql(cluster.primary(), cluster.database(), "TRUNCATE pooler_writes; TRUNCATE pooler_accounts;"
                + "INSERT INTO pooler_accounts SELECT i, " + OPENING_BALANCE + " FROM generate_series(1, " + ACCOUNTS + ") i");
        Figures figures = new Figures();
        Flux.range(0, reads)
                .flatMap(i -> {
                    int id = 1 + (int) ((i * 7919L) % ROWS);
                    // Statements in no fixed order, so that connections number them differently.
                    Read read = READS.get((i * 0x9E3779B9) >>> 30);
                    return router.read(s -> s.query(read.sql(), Item::of, read.params().apply(id)))
                            .collectList()
                            .doOnNext(rows -> {
                                figures.reads.incrementAndGet();
                                if (!rows.equals(List.of(new Item(id, "p-" + id)))) {
                                    figures.wrongReads.incrementAndGet();
                                }
                            })
                            .onErrorResume(error -> {
                                figures.error("read", error);
                                return Mono.empty();
                            });
                }, 32)
                .then()
                .block(WAIT);
        Flux.range(0, writes)
                .flatMap(i -> router.write(s -> s.execute("INSERT INTO pooler_writes (id, n) VALUES ($1, $2)", UUID.randomUUID(), i))
                        .doOnNext(count -> figures.writesOk.incrementAndGet())
                        .onErrorResume(error -> {
                            figures.error("insert", error);
                            return Mono.empty();
                        }), 32)
                .then()
                .block(WAIT);
        SplittableRandom random = new SplittableRandom(13);
        Flux.range(0, transfers)
                .map(i -> {
                    int from = 1 + random.nextInt(ACCOUNTS);
                    int to = 1 + (from + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
                    return new int[] {from, to, 1 + random.nextInt(50)};
                })
                .flatMap(t -> router.inTransaction(TransactionOptions.of(Isolation.SERIALIZABLE), s -> s
                                .execute("UPDATE pooler_accounts SET balance = balance - $1 WHERE id = $2", (long) t[2], t[0])
                                .then(s.execute("UPDATE pooler_accounts SET balance = balance + $1 WHERE id = $2", (long) t[2], t[1])))
                        .doOnNext(count -> figures.transfersOk.incrementAndGet())
                        .onErrorResume(error -> {
                            if (error instanceof DbTransactionException tx && tx.isSerializationConflict()) {
                                figures.serializationGiveUps.incrementAndGet();
                            } else {
                                figures.error("transfer", error);
                            }
                            return Mono.empty();
                        }), 8)
                .then()
                .block(WAIT);
        figures.writeRows = Long.parseLong(cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM pooler_writes"));
        figures.total = Long.parseLong(cluster.psql(cluster.primary(), cluster.database(), "SELECT sum(balance) FROM pooler_accounts"));
        return figures;
    }
}
