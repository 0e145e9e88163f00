package io.reactivedb.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.IsolationLevel;
import io.r2dbc.spi.Option;
import io.r2dbc.spi.TransactionDefinition;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.routing.ConsistencySession;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import java.time.Duration;
import java.util.Map;
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
            .healthMonitoring(false)
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
        assertThat(Target.forBegin(true, ConsistencySession.start(null).into(Context.empty())))
                .isEqualTo(new Target(ReadConsistency.readYourWrites()));
        assertThat(Target.forBegin(true, Context.empty())).isEqualTo(new Target(ReadConsistency.eventual()));
        // The explicit level wins over the session's default.
        Context both = RouterConnectionFactory.withConsistency(ReadConsistency.strong()).apply(ConsistencySession.start(null).into(Context.empty()));
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
        assertThat(Target.forStatement(ConsistencySession.start(null).into(Context.empty()))).isEqualTo(Target.WRITER);
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
        StepVerifier.create(connection.createStatement("SELECT 1").execute())
                .expectErrorMessage("the connection is closed")
                .verify(WAIT);
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().allocated() == 0 && e.inFlight() == 0);
    }

    @Test
    void aRouterThatIsShutDownFailsTheFirstOperationNotCreate() {
        router.shutdown(WAIT).block(WAIT);
        Connection connection = Mono.from(factory.create()).block(WAIT);
        StepVerifier.create(connection.beginTransaction())
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("shut down"))
                .verify(WAIT);
        StepVerifier.create(connection.close()).expectComplete().verify(WAIT);
    }
}
