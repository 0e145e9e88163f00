package io.reactivedb.r2dbc;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Option;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import java.time.Duration;
import java.util.Map;
import java.util.NoSuchElementException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

/** Routing decisions and the unbound connection; nothing here opens a connection. */
class RouterConnectionFactoryTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    // Port 1 on loopback: nothing listens there, and nothing here may try.
    private final ReactiveDbRouter router = ReactiveDbRouter.builder(
                    EnvironmentSettings.parse(Map.of("DATABASE_URL", "postgresql://app@127.0.0.1:1/db")))
            .without(RouterFeature.HEALTH_MONITORING)
            .build();
    private final RouterConnectionFactory factory = RouterConnectionFactory.of(router);

    @AfterEach
    void shutdown() {
        router.shutdown(WAIT).block(WAIT);
    }

    private static TransactionDefinition readOnly(@Nullable Boolean readOnly) {
        return new TransactionDefinition() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> @Nullable T getAttribute(Option<T> option) {
                return option.equals(TransactionDefinition.READ_ONLY) ? (T) readOnly : null;
            }
        };
    }

    @Test
    void readOnlyTransactionsReadAtTheAskedConsistencyElseReadYourWritesWithASessionElseEventual() {
        ReadConsistency bounded = ReadConsistency.boundedStaleness(Duration.ofSeconds(2));
        assertThat(Target.forBegin(true, RouterConnectionFactory.withConsistency(bounded).apply(Context.empty())))
                .isEqualTo(new Target(bounded));
        assertThat(Target.forBegin(true, ConsistencyTracker.start(null).into(Context.empty())))
                .isEqualTo(new Target(ReadConsistency.readYourWrites()));
        assertThat(Target.forBegin(true, Context.empty())).isEqualTo(new Target(ReadConsistency.eventual()));
        // The explicit level wins over the session's default.
        Context both = RouterConnectionFactory.withConsistency(ReadConsistency.strong()).apply(ConsistencyTracker.start(null).into(Context.empty()));
        assertThat(Target.forBegin(true, both)).isEqualTo(new Target(ReadConsistency.strong()));
    }

    @Test
    void otherTransactionsGoToTheWriterWhateverTheContextAsks() {
        Context eventual = RouterConnectionFactory.withConsistency(ReadConsistency.eventual()).apply(Context.empty());
        assertThat(Target.forBegin(false, eventual)).isEqualTo(Target.WRITER);
        assertThat(Target.forBegin(null, eventual)).isEqualTo(Target.WRITER);
        assertThat(Target.forBegin(null, Context.empty()).isWrite()).isTrue();
    }

    @Test
    void statementsOutsideATransactionGoToTheWriterUnlessTheContextAsksForARead() {
        assertThat(Target.forStatement(Context.empty())).isEqualTo(Target.WRITER);
        // A session alone does not make a statement a read: it may write.
        assertThat(Target.forStatement(ConsistencyTracker.start(null).into(Context.empty()))).isEqualTo(Target.WRITER);
        Context eventual = RouterConnectionFactory.withConsistency(ReadConsistency.eventual()).apply(Context.empty());
        assertThat(Target.forStatement(eventual)).isEqualTo(new Target(ReadConsistency.eventual()));
    }

    @Test
    void theConsistencyHelperRoundTripsThroughTheContext() {
        assertThat(RouterConnectionFactory.consistencyOf(Context.empty())).isEmpty();
        ReadConsistency ryw = ReadConsistency.readYourWrites();
        assertThat(RouterConnectionFactory.consistencyOf(RouterConnectionFactory.withConsistency(ryw).apply(Context.empty()))).contains(ryw);
    }

    @Test
    void aNewConnectionIsUnboundAndAnswersWithoutBorrowing() {
        Connection connection = Mono.from(factory.create()).block(WAIT);
        assertThat(connection.isAutoCommit()).isTrue();
        assertThat(connection.getTransactionIsolationLevel()).isEqualTo(IsolationLevel.READ_COMMITTED);
        assertThat(connection.getMetadata().getDatabaseProductName()).isEqualTo("PostgreSQL");
        StepVerifier.create(connection.validate(ValidationDepth.REMOTE)).expectNext(true).expectComplete().verify(WAIT);
        // Nothing to commit or roll back yet, and auto-commit is already on.
        StepVerifier.create(connection.commitTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.rollbackTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.setAutoCommit(true)).expectComplete().verify(WAIT);
        // A session setting before binding waits for the binding instead of choosing the endpoint.
        StepVerifier.create(connection.setTransactionIsolationLevel(IsolationLevel.SERIALIZABLE)).expectComplete().verify(WAIT);
        assertThat(connection.getTransactionIsolationLevel()).isEqualTo(IsolationLevel.SERIALIZABLE);
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().allocated() == 0 && e.inFlight() == 0);
        assertThat(factory.getMetadata().getName()).isEqualTo("PostgreSQL");
    }

    @Test
    void aClosedConnectionRefusesWorkAndClosesOnce() {
        Connection connection = Mono.from(factory.create()).block(WAIT);
        StepVerifier.create(connection.close()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.close()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.validate(ValidationDepth.LOCAL)).expectNext(false).expectComplete().verify(WAIT);
        StepVerifier.create(connection.beginTransaction(readOnly(true)))
                .expectErrorMessage("the connection is closed")
                .verify(WAIT);
        // As a driver's connection: a statement or batch of a closed connection is refused at once.
        assertThatThrownBy(() -> connection.createStatement("SELECT 1"))
                .isInstanceOf(IllegalStateException.class).hasMessage("the connection is closed");
        assertThatThrownBy(connection::createBatch).isInstanceOf(IllegalStateException.class);
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().allocated() == 0 && e.inFlight() == 0);
    }

    @Test
    void aStatementChecksEveryBindWhenItIsMadeNotWhenItRuns() {
        Connection connection = Mono.from(factory.create()).block(WAIT);
        Statement statement = connection.createStatement("INSERT INTO t VALUES ($1, $2)");
        assertThatThrownBy(() -> statement.bind(0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bind("$1", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bind(0, Integer.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bindNull");
        assertThatThrownBy(() -> statement.bind(2, "x")).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("indexes 0 to 1");
        assertThatThrownBy(() -> statement.bind(-1, "x")).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> statement.bindNull(2, String.class)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> statement.bind("$3", "x")).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> statement.bind("name", "x")).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> statement.bind("$0", "x")).isInstanceOf(NoSuchElementException.class);
        assertThatThrownBy(() -> statement.bindNull((String) null, String.class)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.bindNull(0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.returnGeneratedValues((String[]) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.returnGeneratedValues("id", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> statement.fetchSize(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(statement::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining("no parameters");

        statement.bind(0, 1);
        assertThatThrownBy(statement::add).isInstanceOf(IllegalStateException.class).hasMessageContaining("$2 is not bound");
        assertThatThrownBy(statement::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining("$2 is not bound");
        statement.bindNull("$2", String.class).add();
        // A trailing add() leaves an empty binding.
        assertThatThrownBy(statement::execute).isInstanceOf(IllegalStateException.class).hasMessageContaining("$1 is not bound");
        statement.bind("$1", 2).bind(1, "b");
        // Complete: execute() returns the (cold) execution; nothing is borrowed until it is subscribed.
        assertThat(statement.execute()).isNotNull();

        assertThatThrownBy(() -> connection.createStatement(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.createStatement("SELECT $2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$1 is missing");
        assertThatThrownBy(() -> connection.createStatement("SELECT 1").bind(0, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> connection.createBatch().add(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.createBatch().add("SELECT $1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.createSavepoint(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.releaseSavepoint(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.rollbackTransactionToSavepoint(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.beginTransaction(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.setStatementTimeout(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> connection.validate(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().allocated() == 0 && e.inFlight() == 0);
    }

    @Test
    void aRouterThatIsShutDownFailsTheFirstStatementNotCreateNorBegin() {
        router.shutdown(WAIT).block(WAIT);
        Connection connection = Mono.from(factory.create()).block(WAIT);
        // An unbound begin borrows nothing: the transaction's first statement binds it.
        StepVerifier.create(connection.beginTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(Mono.from(connection.createStatement("SELECT 1").execute()))
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("shut down"))
                .verify(WAIT);
        // The binding failed and gave nothing to hold: nothing to roll back, nothing to release.
        StepVerifier.create(connection.rollbackTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.close()).expectComplete().verify(WAIT);
    }

    @Test
    void aTransactionBegunWhileUnboundBorrowsNothingUntilItsFirstStatement() {
        Connection connection = Mono.from(factory.create()).block(WAIT);
        TransactionDefinition serializable = new TransactionDefinition() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> @Nullable T getAttribute(Option<T> option) {
                return option.equals(TransactionDefinition.ISOLATION_LEVEL) ? (T) IsolationLevel.SERIALIZABLE : null;
            }
        };
        StepVerifier.create(connection.beginTransaction(serializable)).expectComplete().verify(WAIT);
        assertThat(connection.isAutoCommit()).isFalse();
        assertThat(connection.getTransactionIsolationLevel()).isEqualTo(IsolationLevel.SERIALIZABLE);
        // A second begin changes nothing, as the driver skips a BEGIN inside a transaction.
        StepVerifier.create(connection.beginTransaction(readOnly(true))).expectComplete().verify(WAIT);
        assertThat(connection.getTransactionIsolationLevel()).isEqualTo(IsolationLevel.SERIALIZABLE);
        // Committed without a statement: it never reached a server.
        StepVerifier.create(connection.commitTransaction()).expectComplete().verify(WAIT);
        assertThat(connection.isAutoCommit()).isTrue();
        StepVerifier.create(connection.beginTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.rollbackTransaction()).expectComplete().verify(WAIT);
        assertThat(connection.isAutoCommit()).isTrue();
        StepVerifier.create(connection.beginTransaction()).expectComplete().verify(WAIT);
        StepVerifier.create(connection.setAutoCommit(true)).expectComplete().verify(WAIT);
        assertThat(connection.isAutoCommit()).isTrue();
        StepVerifier.create(connection.close()).expectComplete().verify(WAIT);
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().allocated() == 0 && e.inFlight() == 0);
    }
}
