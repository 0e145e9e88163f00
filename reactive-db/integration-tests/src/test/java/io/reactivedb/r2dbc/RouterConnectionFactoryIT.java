package io.reactivedb.r2dbc;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.annotation.Id;
import org.springframework.data.r2dbc.config.AbstractR2dbcConfiguration;
import org.springframework.data.r2dbc.core.R2dbcEntityTemplate;
import org.springframework.data.r2dbc.repository.Query;
import org.springframework.data.r2dbc.repository.config.EnableR2dbcRepositories;
import org.springframework.data.r2dbc.repository.support.R2dbcRepositoryFactory;
import org.springframework.data.relational.core.mapping.Table;
import org.springframework.data.repository.reactive.ReactiveCrudRepository;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.reactive.TransactionSynchronizationManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * {@link RouterConnectionFactory} under Spring's {@code R2dbcTransactionManager}, {@code DatabaseClient}
 * and Spring Data R2DBC, against the dev cluster. Where a unit ran is read from the server itself:
 * {@code pg_is_in_recovery()} and {@code inet_server_port()}.
 */
@DevClusterTest
class RouterConnectionFactoryIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String WHERE_AM_I = "SELECT pg_is_in_recovery() AS recovery, inet_server_port() AS port";

    private final DevCluster cluster;
    private ReactiveDbRouter router;
    private RouterConnectionFactory factory;
    private DatabaseClient client;
    private String applicationName;

    RouterConnectionFactoryIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void schema(DevCluster cluster) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS r2dbc_it_note (id bigserial PRIMARY KEY, text text NOT NULL);"
                        + "GRANT ALL ON r2dbc_it_note TO " + cluster.appUser() + ";"
                        + "GRANT USAGE ON SEQUENCE r2dbc_it_note_id_seq TO " + cluster.appUser());
    }

    @BeforeEach
    void router() {
        applicationName = "r2dbc-it-" + UUID.randomUUID().toString().substring(0, 8);
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build())
                .build();
        // Rotation as configured: replicas take reads (the health monitor has its own tests).
        router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING).build();
        factory = RouterConnectionFactory.of(router);
        client = DatabaseClient.create(factory);
    }

    @AfterEach
    void closeRouter() {
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
    }

    record Server(boolean inRecovery, int port) {
    }

    private Mono<Server> whereAmI() {
        return client.sql(WHERE_AM_I)
                .map(row -> new Server(row.get("recovery", Boolean.class), row.get("port", Integer.class)))
                .one();
    }

    private TransactionalOperator transactional(boolean readOnly) {
        DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
        definition.setReadOnly(readOnly);
        return TransactionalOperator.create(new R2dbcTransactionManager(factory), definition);
    }

    private Integer[] replicaPorts() {
        return cluster.replicas().stream().map(DevNode::port).toArray(Integer[]::new);
    }

    @Test
    void readOnlyTransactionsLandOnReplicasAndOthersOnThePrimary() {
        List<Server> reads = Flux.range(0, 6)
                .concatMap(i -> transactional(true).transactional(whereAmI()))
                .collectList().block(WAIT);
        assertThat(reads).allMatch(Server::inRecovery);
        assertThat(reads).extracting(Server::port).containsOnly(replicaPorts());

        Server write = transactional(false).transactional(whereAmI()).block(WAIT);
        assertThat(write).isEqualTo(new Server(false, cluster.primary().port()));
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void databaseClientWithoutATransactionGoesToThePrimaryUnlessTheContextAsksForAReplicaRead() {
        assertThat(whereAmI().block(WAIT)).isEqualTo(new Server(false, cluster.primary().port()));

        Server eventual = whereAmI().contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.eventual())).block(WAIT);
        assertThat(eventual.inRecovery()).isTrue();
        assertThat(eventual.port()).isIn((Object[]) replicaPorts());

        Server strong = whereAmI().contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.strong())).block(WAIT);
        assertThat(strong).isEqualTo(new Server(false, cluster.primary().port()));
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void theConsistencyInTheContextSteersReadOnlyTransactions() {
        Server strong = transactional(true).transactional(whereAmI())
                .contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.strong()))
                .block(WAIT);
        assertThat(strong).isEqualTo(new Server(false, cluster.primary().port()));

        Server bounded = transactional(true).transactional(whereAmI())
                .contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.boundedStaleness(Duration.ofSeconds(1))))
                .block(WAIT);
        // Without health monitoring no lag was measured, so no replica is known to be within a bound.
        assertThat(bounded.port()).isEqualTo(cluster.primary().port());
    }

    @Test
    void anErrorInsideATransactionRollsItBack() {
        String text = "rolled-back-" + UUID.randomUUID();
        Mono<Long> insertThenFail = client.sql("INSERT INTO r2dbc_it_note (text) VALUES (:text)").bind("text", text)
                .fetch().rowsUpdated()
                .then(Mono.error(new IllegalStateException("business rule broken")));
        StepVerifier.create(transactional(false).transactional(insertThenFail))
                .expectErrorMessage("business rule broken")
                .verify(WAIT);
        assertThat(countOnPrimary(text)).isZero();

        String kept = "committed-" + UUID.randomUUID();
        transactional(false).transactional(client.sql("INSERT INTO r2dbc_it_note (text) VALUES (:text)").bind("text", kept)
                .fetch().rowsUpdated()).block(WAIT);
        assertThat(countOnPrimary(kept)).isEqualTo(1);
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void aWriteInAReadOnlyTransactionIsRefusedByTheServer() {
        StepVerifier.create(transactional(true).transactional(
                        client.sql("INSERT INTO r2dbc_it_note (text) VALUES ('never')").fetch().rowsUpdated()))
                .expectErrorSatisfies(error -> assertThat(error).hasStackTraceContaining("25006"))
                .verify(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void connectionsGoBackAfterCompleteAndError() {
        transactional(false).transactional(whereAmI()).block(WAIT);
        transactional(true).transactional(whereAmI()).block(WAIT);
        whereAmI().block(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
        // a statement error inside a transaction, and one outside
        StepVerifier.create(transactional(false).transactional(client.sql("SELECT no_such_column FROM r2dbc_it_note").fetch().all()))
                .expectError().verify(WAIT);
        StepVerifier.create(client.sql("SELECT 1/0").fetch().all()).expectError().verify(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void aCancelledTransactionIsRolledBackAndItsLongStatementStoppedOnTheServer() {
        String text = "cancelled-" + UUID.randomUUID();
        Flux<java.util.Map<String, Object>> insertThenSleep = client.sql("INSERT INTO r2dbc_it_note (text) VALUES (:text)").bind("text", text)
                .fetch().rowsUpdated()
                .thenMany(client.sql("SELECT pg_sleep(120)").fetch().all());
        reactor.core.Disposable running = transactional(false).transactional(insertThenSleep).subscribe();
        Await.until("pg_sleep running on the server", WAIT, () -> sleepersOnPrimary() == 1);
        running.dispose();
        // Long before pg_sleep(120) would end on its own.
        Await.until("the cancelled pg_sleep stopped on the server", Duration.ofSeconds(20), () -> sleepersOnPrimary() == 0);
        assertPoolsIdleAndNoOpenTransactions();
        assertThat(countOnPrimary(text)).isZero();
        assertThat(whereAmI().block(WAIT).port()).isEqualTo(cluster.primary().port());
    }

    private int sleepersOnPrimary() {
        return Integer.parseInt(cluster.psql(cluster.primary(), "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                + applicationName + "' AND query LIKE '%pg_sleep(120)%' AND state = 'active'"));
    }

    /** At the SPI: a rollback after a cancelled long statement stops it instead of waiting behind it. */
    @Test
    void aRollbackAfterACancelledStatementDoesNotWaitBehindIt() {
        io.r2dbc.spi.Connection connection = Mono.from(factory.create()).block(WAIT);
        Mono.from(connection.beginTransaction()).block(WAIT);
        reactor.core.Disposable running = Flux.from(connection.createStatement("SELECT pg_sleep(120)").execute())
                .concatMap(result -> result.map(row -> "woke up"))
                .subscribe();
        Await.until("pg_sleep running on the server", WAIT, () -> sleepersOnPrimary() == 1);
        running.dispose();
        // Bounded well below the 120 s the statement would take.
        StepVerifier.create(Mono.from(connection.rollbackTransaction())).expectComplete().verify(Duration.ofSeconds(20));
        assertThat(connection.isAutoCommit()).isTrue();
        Mono.from(connection.close()).block(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
        assertThat(sleepersOnPrimary()).isZero();
    }

    @Test
    void aQueryCancelledAfterItsFirstRowGivesItsConnectionBackInStep() {
        // The rest of the reply is still on its way when the caller has what it wanted.
        assertThat(client.sql("SELECT g FROM generate_series(1, 100000) g").map(row -> row.get(0, Integer.class)).first().block(WAIT))
                .isEqualTo(1);
        assertThat(transactional(false).transactional(
                        client.sql("SELECT g FROM generate_series(1, 100000) g").map(row -> row.get(0, Integer.class)).first())
                .block(WAIT)).isEqualTo(1);
        assertPoolsIdleAndNoOpenTransactions();
        assertThat(Flux.range(0, 20).concatMap(i -> whereAmI()).map(Server::port).collectList().block(WAIT))
                .containsOnly(cluster.primary().port());
    }

    /**
     * Keeps the server busy long after its first row: about 100 s of {@code pg_sleep} in 1 ms steps
     * (the rows reach the client in batches as the server's send buffer fills). Each row carries the
     * backend's pid, so the first row says which backend to watch.
     */
    static final String BUSY_QUERY = "SELECT g, pg_backend_pid() AS pid, pg_sleep(0.001) FROM generate_series(1, 100000) g";

    /**
     * A caller that takes the first row of a long query and leaves: the connection's release must
     * stop the statement on the server (usingWhen calls close() as the cancel reaches the reply, not
     * after it), so the backend is not left running it and the pool's next borrower, on the same
     * single pooled connection slot, does not queue behind the rest of the reply.
     */
    @Test
    void aQueryLeftAfterItsFirstRowWhileTheServerIsStillBusyIsStoppedThereAndTheNextBorrowerDoesNotWaitForIt() {
        ReactiveDbRouter single = singleConnectionRouter();
        try {
            RouterConnectionFactory singleFactory = RouterConnectionFactory.of(single);
            Integer pid = Flux.usingWhen(singleFactory.create(),
                            connection -> Flux.from(connection.createStatement(BUSY_QUERY).execute())
                                    .flatMap(result -> result.map(row -> row.get("pid", Integer.class))),
                            io.r2dbc.spi.Connection::close)
                    .take(1)
                    .blockLast(WAIT);
            assertThat(pid).isNotNull();
            Await.until("the loan ended (close() completed)", WAIT, () -> single.endpoints().stream()
                    .allMatch(e -> e.inFlight() == 0 && e.poolStatistics().acquired() == 0));
            // Bounded far below the ~100 s the statement would run on its own.
            Await.until("backend " + pid + " no longer running the abandoned query", Duration.ofSeconds(10),
                    () -> activeStatementsOf(pid) == 0);
            // The next borrower of that one-connection pool gets an answer long before the old
            // statement would have ended (the old reply, unstopped, would hold the connection ~100 s).
            assertThat(DatabaseClient.create(singleFactory).sql("SELECT 1").map(row -> row.get(0, Integer.class)).one()
                    .block(Duration.ofSeconds(30))).isEqualTo(1);
        } finally {
            single.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    /**
     * {@code Mono.from(statement.execute())}, the usual way to run one statement, cancels the
     * execution after its one result; that result read to its end (its rows to completion, or
     * {@code Mono.from(getRowsUpdated())}) still finishes the reply, so the connection goes back in
     * step and is lent again (same backend), not stopped and discarded.
     */
    @Test
    void aStatementRunThroughMonoFromGivesItsConnectionBackForReuse() {
        ReactiveDbRouter single = singleConnectionRouter();
        try {
            RouterConnectionFactory singleFactory = RouterConnectionFactory.of(single);
            // Longer than the 100 ms after which a statement still in flight is stopped and its connection discarded.
            Mono<Integer> pid = Mono.usingWhen(singleFactory.create(),
                    connection -> Mono.from(connection.createStatement("SELECT pg_backend_pid() FROM pg_sleep(0.2)").execute())
                            .flatMap(result -> Flux.from(result.map(row -> row.get(0, Integer.class))).single()),
                    io.r2dbc.spi.Connection::close);
            Mono<Long> count = Mono.usingWhen(singleFactory.create(),
                    connection -> Mono.from(connection.createStatement("SELECT pg_sleep(0.2)").execute())
                            .flatMap(result -> Mono.from(result.getRowsUpdated())),
                    io.r2dbc.spi.Connection::close);
            Integer first = pid.block(WAIT);
            assertThat(count.block(WAIT)).isEqualTo(1L);
            assertThat(pid.block(WAIT)).isEqualTo(first);
        } finally {
            single.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    /** A router whose every pool holds one connection, so the next borrower gets the connection the last one used. */
    private ReactiveDbRouter singleConnectionRouter() {
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build())
                .pool(PoolSettings.builder().minIdle(0).maxSize(1).build())
                .build();
        return ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING).build();
    }

    private int activeStatementsOf(int pid) {
        return Integer.parseInt(cluster.psql(cluster.primary(), "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND state = 'active'"));
    }

    @Test
    void aCloseWhoseSubscriberCancelsStillGivesTheConnectionBack() {
        // Spring's clean-up subscribes close() inside chains that may themselves be cancelled (a
        // timeout, a client gone): the release must not depend on that subscriber staying.
        for (int i = 0; i < 20; i++) {
            io.r2dbc.spi.Connection connection = Mono.from(factory.create()).block(WAIT);
            Flux.from(connection.createStatement("SELECT 1").execute()).flatMap(result -> result.map(row -> row.get(0))).blockLast(WAIT);
            Mono.from(connection.close()).subscribe().dispose();
        }
        for (int i = 0; i < 20; i++) {
            // The borrow is still under way when close() is subscribed and cancelled.
            io.r2dbc.spi.Connection connection = Mono.from(factory.create()).block(WAIT);
            Flux.from(connection.createStatement("SELECT 1").execute()).subscribe().dispose();
            Mono.from(connection.close()).subscribe().dispose();
        }
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void transactionsCancelledWhileTheirBeginIsOnItsWayLeaveNoSessionInATransaction() {
        // Cancels 0 to 4 ms after subscription land while the connection is borrowed, while the
        // BEGIN is on the wire, or while the work runs. A BEGIN answered after its connection went
        // back left that session idle in transaction in the pool (seen once in a repeat run of the
        // suite, in the test below). A stress check: the window is a round trip wide, and this loop
        // did not hit it on the code before that fix; it found instead, 1 run in 3, a connection
        // never given back when Spring's close() was cancelled (see the test above), and then one
        // borrowed by a begin whose transaction Spring dropped (see the test below).
        Flux.range(0, 200)
                .concatMap(i -> transactional(i % 2 == 0).transactional(whereAmI())
                        .timeout(Duration.ofMillis(i % 5), Mono.empty())
                        .onErrorResume(error -> Mono.empty()))
                .blockLast(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
    }

    /**
     * The leak the check above found: Spring's transaction manager does its {@code doBegin} (the
     * connection's {@code beginTransaction}) inside {@code getReactiveTransaction}, which is the
     * resource of {@code TransactionalOperator}'s {@code usingWhen}. A cancel that lands after the
     * begin was answered and before that resource reaches {@code usingWhen} cancels the resource's
     * subscription: the transaction status, with the connection bound in it, is dropped, and
     * neither rollback nor clean-up (nor our cancelled-begin hook, the begin being over) ever runs.
     * Here the cancel is made to land exactly there, right after Spring's own {@code doBegin}. When
     * the begin borrowed, that connection stayed acquired for good; now the transaction's first
     * statement borrows, inside the work, and the dropped transaction holds nothing.
     */
    @Test
    void aTransactionCancelledRightAfterItsBeginWasAnsweredHoldsNoConnection() {
        for (boolean readOnly : new boolean[] {false, true}) {
            Sinks.One<Boolean> cancel = Sinks.one();
            R2dbcTransactionManager manager = new R2dbcTransactionManager(factory) {
                @Override
                protected Mono<Void> doBegin(TransactionSynchronizationManager synchronizationManager, Object transaction,
                                             org.springframework.transaction.TransactionDefinition definition) {
                    return super.doBegin(synchronizationManager, transaction, definition)
                            .then(Mono.fromRunnable(() -> cancel.tryEmitValue(true)));
                }
            };
            DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
            definition.setReadOnly(readOnly);
            StepVerifier.create(TransactionalOperator.create(manager, definition).transactional(whereAmI())
                            .takeUntilOther(cancel.asMono()))
                    .expectComplete()
                    .verify(WAIT);
            assertPoolsIdleAndNoOpenTransactions();
        }
    }

    @Test
    void aTransactionCancelledWhileItWaitsForItsConnectionGivesItBack() {
        for (int i = 0; i < 20; i++) {
            transactional(i % 2 == 0).transactional(whereAmI()).subscribe().dispose();
        }
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void aWriteAdvancesTheConsistencySessionAndAReadYourWritesTransactionSeesIt() {
        ConsistencyTracker session = ConsistencyTracker.start(null);
        String text = "ryw-" + UUID.randomUUID();
        transactional(false).transactional(client.sql("INSERT INTO r2dbc_it_note (text) VALUES (:text)").bind("text", text)
                        .fetch().rowsUpdated())
                .contextWrite(session::into)
                .block(WAIT);
        assertThat(session.token()).isPresent();

        // A read-only transaction with a session reads its writes: without health monitoring no
        // replica is known to have replayed the token, so it runs on the primary and sees the row.
        Long seen = transactional(true).transactional(client.sql("SELECT count(*) FROM r2dbc_it_note WHERE text = :text")
                        .bind("text", text).map(row -> row.get(0, Long.class)).one())
                .contextWrite(session::into)
                .block(WAIT);
        assertThat(seen).isEqualTo(1L);
        assertPoolsIdleAndNoOpenTransactions();
    }

    // --- Spring Data R2DBC ---

    @Table("r2dbc_it_note")
    record Note(@Id Long id, String text) {
    }

    interface NoteRepository extends ReactiveCrudRepository<Note, Long> {
        @Query("SELECT inet_server_port()")
        Mono<Integer> serverPort();

        @Query("SELECT count(*) FROM r2dbc_it_note WHERE text = :text")
        Mono<Long> countByText(String text);
    }

    @Test
    void springDataRepositoryRunsReadOnlyTransactionsOnReplicasAndWritesOnThePrimary() {
        NoteRepository notes = new R2dbcRepositoryFactory(new R2dbcEntityTemplate(factory)).getRepository(NoteRepository.class);
        String text = "repository-" + UUID.randomUUID();

        record Written(Note note, int port) {
        }
        Written written = transactional(false).transactional(notes.save(new Note(null, text))
                        .flatMap(note -> notes.serverPort().map(port -> new Written(note, port))))
                .block(WAIT);
        assertThat(written.note().id()).isNotNull();
        assertThat(written.port()).isEqualTo(cluster.primary().port());

        assertThat(transactional(true).transactional(notes.serverPort()).block(WAIT)).isIn((Object[]) replicaPorts());
        // The replica shows the row once replication has carried it there.
        Await.until("the note replicated", WAIT, () -> transactional(true).transactional(notes.findById(written.note().id()))
                .map(Note::text).blockOptional(WAIT).isPresent());
        assertThat(transactional(true).transactional(notes.countByText(text)).block(WAIT)).isEqualTo(1L);
        assertPoolsIdleAndNoOpenTransactions();
    }

    /** {@code @Transactional} through a small Spring context with annotation-driven transactions. */
    @Configuration
    @EnableTransactionManagement
    @EnableR2dbcRepositories(considerNestedRepositories = true, basePackageClasses = RouterConnectionFactoryIT.class,
            includeFilters = @org.springframework.context.annotation.ComponentScan.Filter(
                    type = org.springframework.context.annotation.FilterType.ASSIGNABLE_TYPE, classes = NoteRepository.class))
    static class SpringConfig extends AbstractR2dbcConfiguration {

        @Autowired
        RouterConnectionFactory routerConnectionFactory;

        @Override
        public io.r2dbc.spi.ConnectionFactory connectionFactory() {
            return routerConnectionFactory;
        }

        @Bean
        ReactiveTransactionManager transactionManager() {
            return new R2dbcTransactionManager(routerConnectionFactory);
        }

        @Bean
        NoteService noteService(NoteRepository notes) {
            return new NoteService(notes);
        }
    }

    static class NoteService {
        private final NoteRepository notes;

        NoteService(NoteRepository notes) {
            this.notes = notes;
        }

        @Transactional(readOnly = true)
        public Mono<Integer> portOfAReadOnlyTransaction() {
            return notes.serverPort();
        }

        @Transactional
        public Mono<Integer> portOfATransaction() {
            return notes.serverPort();
        }

        @Transactional
        public Mono<Note> saveThenFail(String text) {
            return notes.save(new Note(null, text)).then(Mono.error(new IllegalStateException("refused after the insert")));
        }
    }

    @Test
    void transactionalAnnotationsRouteReadOnlyToReplicasAndRollBackOnError() {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.registerBean(RouterConnectionFactory.class, () -> factory);
            context.register(SpringConfig.class);
            context.refresh();
            NoteService service = context.getBean(NoteService.class);

            assertThat(service.portOfAReadOnlyTransaction().block(WAIT)).isIn((Object[]) replicaPorts());
            assertThat(service.portOfATransaction().block(WAIT)).isEqualTo(cluster.primary().port());

            String text = "annotated-" + UUID.randomUUID();
            StepVerifier.create(service.saveThenFail(text)).expectErrorMessage("refused after the insert").verify(WAIT);
            assertThat(countOnPrimary(text)).isZero();
        }
        assertPoolsIdleAndNoOpenTransactions();
    }

    private int countOnPrimary(String text) {
        return Integer.parseInt(cluster.psql(cluster.primary(), cluster.database(),
                "SELECT count(*) FROM r2dbc_it_note WHERE text = '" + text + "'"));
    }

    /** The pools' view and the servers': nothing borrowed, nothing in flight, no session of this test left in a transaction. */
    private void assertPoolsIdleAndNoOpenTransactions() {
        try {
            Await.until("every connection back in its pool", WAIT, () -> router.endpoints().stream()
                    .allMatch(e -> e.poolStatistics().acquired() == 0 && e.inFlight() == 0));
        } catch (AssertionError stuck) {
            throw new AssertionError(stuck.getMessage() + "; " + router.endpoints().stream()
                    .map(e -> e.name() + ": " + e.poolStatistics().describe() + ", in flight " + e.inFlight()).toList(), stuck);
        }
        for (DevNode node : cluster.nodes()) {
            String open = cluster.psql(node, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                    + applicationName + "' AND state LIKE 'idle in transaction%'");
            assertThat(open).as("sessions idle in transaction on %s", node.name()).isEqualTo("0");
        }
    }
}
