package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.r2dbc.spi.Statement;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.tracing.StatementAttributes;
import io.reactivedb.tracing.StatementSpan;
import io.reactivedb.tracing.StatementTracer;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * The attributes a traced lease hands its tracer, and when its spans end. The connection is a fake
 * at the SPI edge (a statement that records what it was given and answers with fixed results):
 * what the driver does with the statement is covered by {@code StatementTracingIT}.
 */
class LeaseTracingTest {

    private static final String CANARY = "canary-7f3a91";
    private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final List<String> events = new ArrayList<>();
    private final List<StatementAttributes> started = new ArrayList<>();
    private final List<String> sent = new ArrayList<>();
    private final List<Object> bound = new ArrayList<>();
    private Flux<Result> reply = Flux.just(new FixedResult(Flux.just("row"), null));

    private final StatementTracer tracer = (statement, caller) -> {
        started.add(statement);
        events.add("start " + statement.operationName() + " in " + caller.getOrDefault("trace", "none"));
        return new StatementSpan() {
            @Override
            public Optional<String> traceparent() {
                return Optional.of(PARENT);
            }

            @Override
            public void error(Throwable error) {
                events.add("error " + error.getClass().getSimpleName());
            }

            @Override
            public void cancelled() {
                events.add("cancelled");
            }

            @Override
            public void end() {
                events.add("end");
            }
        };
    };

    private LeaseTracing tracing(boolean comments) {
        EndpointSettings endpoint = EndpointSettings.builder().name("replica-1").role(EndpointRole.REPLICA).host("db.example").port(6432)
                .database("orders").username("app").build();
        return new LeaseTracing(tracer, comments, endpoint, "replica", "read_your_writes", 2, Duration.ofMillis(3).toNanos());
    }

    @Test
    void theAttributesNameTheStatementAndItsPlaceNeverItsValues() {
        LeaseTracing tracing = tracing(false);
        Statement statement = tracing.statement(connection(), "select * from accounts where owner = $1 and id = $2")
                .bind(0, CANARY).bind("$2", 42L);
        Flux.from(statement.execute()).concatMap(result -> result.map((row, metadata) -> row)).contextWrite(Context.of("trace", "t1"))
                .blockLast();

        StatementAttributes attributes = started.get(0);
        assertThat(attributes).isEqualTo(new StatementAttributes("orders", "SELECT", "select * from accounts where owner = $1 and id = $2",
                "db.example", 6432, "replica-1", "replica", "read_your_writes", 2, 1, Optional.of(Duration.ofMillis(3))));
        assertThat(attributes.toString()).doesNotContain(CANARY).doesNotContain("42");
        assertThat(bound).containsExactly(CANARY, 42L);
        assertThat(sent).containsExactly("select * from accounts where owner = $1 and id = $2");
        assertThat(events).containsExactly("start SELECT in t1", "end");
    }

    @Test
    void onlyTheFirstStatementCarriesTheAcquireWait() {
        LeaseTracing tracing = tracing(false);
        Flux.from(tracing.statement(connection(), "SELECT 1").execute()).concatMap(Result::getRowsUpdated).blockLast();
        Flux.from(tracing.statement(connection(), "SELECT 2").execute()).concatMap(Result::getRowsUpdated).blockLast();
        assertThat(started).extracting(StatementAttributes::acquireWait).containsExactly(Optional.of(Duration.ofMillis(3)), Optional.empty());
    }

    @Test
    void bindingsAndBatchesAreCounted() {
        LeaseTracing tracing = tracing(false);
        Statement statement = tracing.statement(connection(), "INSERT INTO t VALUES ($1)").bind(0, 1).add().bind(0, 2).add().bind(0, 3);
        Flux.from(statement.execute()).concatMap(Result::getRowsUpdated).blockLast();
        Batch batch = tracing.batch(connection()).add("insert into a values (1)").add("INSERT INTO b VALUES (2)");
        Flux.from(batch.execute()).concatMap(Result::getRowsUpdated).blockLast();
        assertThat(started).extracting(StatementAttributes::operationName, StatementAttributes::batchSize)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("INSERT", 3), org.assertj.core.groups.Tuple.tuple("BATCH INSERT", 2));
        assertThat(started.get(1).queryText()).isEqualTo("insert into a values (1); INSERT INTO b VALUES (2)");
    }

    @Test
    void withCommentsTheTraceparentGoesInFrontOfWhatIsSent() {
        LeaseTracing tracing = tracing(true);
        Flux.from(tracing.statement(connection(), "SELECT $1").bind(0, CANARY).execute()).concatMap(Result::getRowsUpdated).blockLast();
        Flux.from(tracing.batch(connection()).add("SELECT 1").add("SELECT 2").execute()).concatMap(Result::getRowsUpdated).blockLast();
        assertThat(sent).containsExactly("/*traceparent='" + PARENT + "'*/ SELECT $1", "/*traceparent='" + PARENT + "'*/ SELECT 1", "SELECT 2");
        assertThat(started.get(0).queryText()).isEqualTo("SELECT $1");
    }

    @Test
    void theServersErrorIsRecordedOnceAndEndsTheSpan() {
        reply = Flux.just(new FixedResult(Flux.empty(), new R2dbcBadGrammarException("syntax error", "42601")));
        LeaseTracing tracing = tracing(false);
        Flux.from(tracing.statement(connection(), "SELEC 1").execute()).concatMap(result -> result.map((row, metadata) -> row))
                .onErrorResume(error -> Mono.empty()).blockLast();
        assertThat(events).containsExactly("start SELEC in none", "error R2dbcBadGrammarException", "end");
    }

    @Test
    void aReadingGivenUpIsCancelledAndAReplyNeverReadEndsWithTheLease() {
        reply = Flux.just(new FixedResult(Flux.just("a", "b", "c"), null));
        LeaseTracing tracing = tracing(false);
        Flux.from(tracing.statement(connection(), "SELECT 1").execute()).concatMap(result -> result.map((row, metadata) -> row)).take(1)
                .blockLast();
        assertThat(events).containsExactly("start SELECT in none", "cancelled", "end");

        events.clear();
        Flux.from(tracing.statement(connection(), "SELECT 2").execute()).next().block(); // a result left unread
        assertThat(events).containsExactly("start SELECT in none");
        tracing.leaseEnded();
        tracing.leaseEnded();
        assertThat(events).containsExactly("start SELECT in none", "end");
    }

    @Test
    void aReplyEndsTheRunsBeforeItWhoseResultsWereNeverRead() {
        LeaseTracing tracing = tracing(false);
        Flux.from(tracing.statement(connection(), "SELECT 1").execute()).next().block();
        Flux.from(tracing.statement(connection(), "UPDATE t SET a = 1").execute()).concatMap(Result::getRowsUpdated).blockLast();
        assertThat(events).containsExactly("start SELECT in none", "start UPDATE in none", "end", "end");
    }

    private Connection connection() {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "createStatement":
                    sent.add((String) args[0]);
                    return new RecordingStatement();
                case "createBatch":
                    return new RecordingBatch();
                default:
                    throw new UnsupportedOperationException(method.getName());
            }
        });
    }

    private final class RecordingStatement implements Statement {
        @Override public Statement add() { return this; }
        @Override public Statement bind(int index, Object value) { bound.add(value); return this; }
        @Override public Statement bind(String name, Object value) { bound.add(value); return this; }
        @Override public Statement bindNull(int index, Class<?> type) { return this; }
        @Override public Statement bindNull(String name, Class<?> type) { return this; }
        @Override public Publisher<? extends Result> execute() { return reply; }
    }

    private final class RecordingBatch implements Batch {
        @Override public Batch add(String sql) { sent.add(sql); return this; }
        @Override public Publisher<? extends Result> execute() { return reply; }
    }

    /** A result with fixed rows, failing with {@code error} when read if given. */
    private record FixedResult(Flux<String> rows, Throwable error) implements Result {
        private <T> Flux<T> read(Flux<T> values) {
            return error == null ? values : Flux.error(error);
        }
        @Override public Publisher<Long> getRowsUpdated() { return error == null ? Mono.just(1L) : Mono.error(error); }
        @SuppressWarnings("unchecked")
        @Override public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mapping) { return read((Flux<T>) rows); }
        @SuppressWarnings("unchecked")
        @Override public <T> Publisher<T> map(Function<? super Readable, ? extends T> mapping) { return read((Flux<T>) rows); }
        @Override public Result filter(Predicate<Segment> filter) { return this; }
        @Override public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mapping) { return read(Flux.empty()); }
    }
}
