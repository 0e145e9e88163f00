package io.reactivedb.bench;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Vert.x PG client: a {@code Pool} (each query holds a connection to itself) or, pipelined, a
 * pooled {@code SqlClient} that sends up to {@code pipeliningLimit} queries on one connection
 * before their replies arrive. Each of the loops issues its next query from the previous one's
 * completion handler, on the event loop, as a Vert.x application would.
 */
final class VertxLoad implements Load {

    private final Vertx vertx;
    private final SqlClient client;
    private final PreparedQuery<RowSet<Row>> query;
    private final int rows;
    private final boolean pipelined;

    VertxLoad(PgConnectOptions connect, int poolSize, boolean pipelined, String sql, int rows) {
        this.vertx = Vertx.vertx();
        this.pipelined = pipelined;
        PoolOptions pool = new PoolOptions().setMaxSize(poolSize);
        this.client = pipelined
                ? PgBuilder.client().with(pool).connectingTo(connect).using(vertx).build()
                : PgBuilder.pool().with(pool).connectingTo(connect).using(vertx).build();
        this.query = client.preparedQuery(sql);
        this.rows = rows;
    }

    @Override
    public void run(long endNanos, int concurrency, Recorder recorder) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            next(endNanos, recorder, done);
        }
        if (!done.await(Math.max(0, endNanos - System.nanoTime()) + TimeUnit.SECONDS.toNanos(60), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("Vert.x loops did not finish within 60 s of the deadline");
        }
    }

    private void next(long endNanos, Recorder recorder, CountDownLatch done) {
        if (System.nanoTime() >= endNanos) {
            done.countDown();
            return;
        }
        long started = System.nanoTime();
        query.execute(Tuple.of(ThreadLocalRandom.current().nextInt(1, rows + 1))).onComplete(result -> {
            if (result.succeeded()) {
                result.result().iterator().next().getLong(0);
                recorder.success(started);
            } else {
                recorder.failure(result.cause());
            }
            next(endNanos, recorder, done);
        });
    }

    @Override
    public String note() {
        return pipelined ? "pooled SqlClient, pipelining limit " + PgConnectOptions.DEFAULT_PIPELINING_LIMIT : "";
    }

    @Override
    public void close() throws Exception {
        client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
