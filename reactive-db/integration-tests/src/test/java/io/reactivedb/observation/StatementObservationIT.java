package io.reactivedb.observation;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.reactivedb.routing.RouterFeature;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Statement observations against the shared cluster: every statement of the router's units and of
 * {@link RouterConnectionFactory} (Spring's {@code DatabaseClient} and transactions) is one client
 * observation, child of the caller's observation from the Reactor Context, with the semantic
 * conventions' key values and no bound value anywhere; with the trace comment on, a running
 * statement shows its span's {@code traceparent} in {@code pg_stat_activity}.
 */
@DevClusterTest
class StatementObservationIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String CANARY = "canary-" + UUID.randomUUID();
    private static final int CALLERS = 40;
    /** Per caller: a read, a write, a transaction of two; through the factory a read, an insert, a transaction of two. */
    private static final int STATEMENTS_PER_CALLER = 8;

    private final DevCluster cluster;
    private final RecordingTracer tracer = new RecordingTracer();
    private final ObservationRegistry registry = ObservationRegistry.create();
    private ReactiveDbRouter router;
    private String applicationName;

    StatementObservationIT(DevCluster cluster) {
        this.cluster = cluster;
        registry.observationConfig().observationHandler(tracer);
    }

    @BeforeAll
    static void schema(DevCluster cluster) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS tracing_it (id uuid PRIMARY KEY, note text NOT NULL);"
                        + "GRANT ALL ON tracing_it TO " + cluster.appUser());
    }

    @AfterEach
    void closeRouter() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private ReactiveDbRouter router(boolean comments) {
        applicationName = "tracing-it-" + UUID.randomUUID().toString().substring(0, 8);
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build()).build();
        router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING)
                .statementTracer(new ObservationStatementTracer(registry)).traceComments(comments).build();
        return router;
    }

    @Test
    void everyStatementIsAChildOfItsCallerWithTheConventionsKeyValuesAndNoBoundValue() {
        ReactiveDbRouter router = router(false);
        DatabaseClient client = DatabaseClient.create(RouterConnectionFactory.of(router));
        TransactionalOperator transactional = TransactionalOperator.create(new R2dbcTransactionManager(RouterConnectionFactory.of(router)),
                new DefaultTransactionDefinition());
        Flux.range(0, CALLERS).flatMap(i -> caller(i, router, client, transactional), 8).blockLast(WAIT);

        List<RecordingTracer.Span> spans = List.copyOf(tracer.finished);
        Map<String, RecordingTracer.Span> callers = spans.stream().filter(span -> span.name().equals("test.caller"))
                .collect(Collectors.toMap(RecordingTracer.Span::spanId, span -> span));
        List<RecordingTracer.Span> statements = spans.stream().filter(span -> span.name().equals("db.client.operation")).toList();
        assertThat(callers).hasSize(CALLERS);
        assertThat(statements).hasSize(CALLERS * STATEMENTS_PER_CALLER);
        for (RecordingTracer.Span statement : statements) {
            RecordingTracer.Span caller = callers.get(statement.parentSpanId());
            assertThat(caller).as("the parent of %s", statement).isNotNull();
            assertThat(statement.traceId()).isEqualTo(caller.traceId());
            assertThat(statement.lowCardinality()).containsEntry("db.system.name", "postgresql")
                    .containsEntry("db.namespace", cluster.database())
                    .containsEntry("server.address", cluster.settings().primary().host())
                    .containsKeys("server.port", "reactivedb.endpoint", "reactivedb.role", "reactivedb.consistency", "db.operation.name");
            assertThat(statement.highCardinality()).containsEntry("reactivedb.attempt", "1").containsKey("db.query.text");
            assertThat(statement.exported()).doesNotContain(CANARY);
        }
        assertThat(statements).extracting(span -> span.lowCardinality().get("db.operation.name")).containsOnly("SELECT", "INSERT");
        assertThat(statements).filteredOn(span -> span.lowCardinality().get("reactivedb.consistency").equals("eventual"))
                .hasSize(CALLERS * 2).allSatisfy(span -> assertThat(span.lowCardinality()).containsEntry("reactivedb.role", "replica"));
        assertThat(statements).filteredOn(span -> span.lowCardinality().get("reactivedb.consistency").equals("strong"))
                .hasSize(CALLERS * 6).allSatisfy(span -> assertThat(span.lowCardinality()).containsEntry("reactivedb.role", "primary")
                        .containsEntry("reactivedb.endpoint", "primary"));
        // The wait for the connection is an event of the first statement of each connection use: 6 per caller.
        assertThat(statements).filteredOn(span -> span.events().stream().anyMatch(event -> event.startsWith(ObservationStatementTracer.ACQUIRED)))
                .hasSize(CALLERS * 6);
        assertThat(statements).filteredOn(span -> span.highCardinality().get("db.query.text").contains("$1")).isNotEmpty();
    }

    private Mono<Void> caller(int i, ReactiveDbRouter router, DatabaseClient client, TransactionalOperator transactional) {
        Observation caller = Observation.createNotStarted("test.caller", registry).contextualName("caller " + i);
        return Mono.defer(() -> {
            caller.start();
            return Flux.concat(
                            router.read(ReadConsistency.eventual(), session -> session.query("SELECT $1::text AS v", row -> "r", CANARY)),
                            router.write(session -> session.execute("INSERT INTO tracing_it VALUES ($1, $2)", UUID.randomUUID(), CANARY)),
                            router.inTransaction(session -> session.execute("INSERT INTO tracing_it VALUES ($1, $2)", UUID.randomUUID(), CANARY)
                                    .then(session.query("SELECT note FROM tracing_it WHERE note = $1 LIMIT 1", row -> "r", CANARY).next())),
                            client.sql("SELECT $1::text AS v").bind(0, CANARY).map(row -> "r").one()
                                    .contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.eventual())),
                            client.sql("INSERT INTO tracing_it VALUES ($1, $2)").bind(0, UUID.randomUUID()).bind(1, CANARY).then(),
                            client.sql("INSERT INTO tracing_it VALUES ($1, $2)").bind(0, UUID.randomUUID()).bind(1, CANARY).then()
                                    .then(client.sql("SELECT count(*) FROM tracing_it WHERE note = $1").bind(0, CANARY).map(row -> "r").one())
                                    .as(transactional::transactional))
                    .then()
                    .contextWrite(context -> context.put(ObservationStatementTracer.OBSERVATION_KEY, caller))
                    // Stopped before the completion goes on, so that a finished caller has a finished span:
                    // with doFinally the last caller's stop ran after blockLast had returned (39 of 40 seen once).
                    .doOnTerminate(caller::stop)
                    .doOnCancel(caller::stop);
        });
    }

    @Test
    void aRunningStatementShowsItsTraceparentInPgStatActivity() {
        ReactiveDbRouter router = router(true);
        Observation caller = Observation.start("test.caller", registry);
        Disposable sleeping = router.read(ReadConsistency.strong(), session -> session.query("SELECT pg_sleep($1)", row -> "slept", 60))
                .contextWrite(context -> context.put(ObservationStatementTracer.OBSERVATION_KEY, caller))
                .subscribe();
        try {
            Await.until("the statement runs", WAIT, () -> !activeQueries().isEmpty());
            Observation.Context statement = tracer.started.stream().filter(DbStatementContext.class::isInstance).findFirst().orElseThrow();
            String traceparent = RecordingTracer.traceparentOf(statement);
            assertThat(traceparent).startsWith("00-" + RecordingTracer.traceparentOf(caller.getContext()).substring(3, 35));
            assertThat(activeQueries()).containsExactly("/*traceparent='" + traceparent + "'*/ SELECT pg_sleep($1)");
        } finally {
            sleeping.dispose();
            caller.stop();
        }
        Await.until("the cancelled statement stops", WAIT, () -> activeQueries().isEmpty());
        Await.until("its span ends", WAIT, () -> tracer.finished.stream().anyMatch(span -> span.name().equals("db.client.operation")));
        RecordingTracer.Span span = tracer.finished.stream().filter(s -> s.name().equals("db.client.operation")).findFirst().orElseThrow();
        assertThat(span.events()).anyMatch(event -> event.startsWith(ObservationStatementTracer.CANCELLED));
        assertThat(Set.of(span.highCardinality().get("db.query.text"))).containsExactly("SELECT pg_sleep($1)");
    }

    private List<String> activeQueries() {
        String rows = cluster.psql(cluster.primary(), "postgres", "SELECT query FROM pg_stat_activity WHERE application_name = '"
                + applicationName + "' AND state = 'active'");
        return rows.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
    }
}
