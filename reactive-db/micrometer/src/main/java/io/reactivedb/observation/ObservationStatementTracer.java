package io.reactivedb.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.reactivedb.tracing.StatementAttributes;
import io.reactivedb.tracing.StatementSpan;
import io.reactivedb.tracing.StatementTracer;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * Binds the router's statement tracing to Micrometer Observation: one observation per statement
 * ({@link DefaultDbStatementObservationConvention}), whose parent is the caller's observation from
 * the Reactor Context, under {@value #OBSERVATION_KEY} (Micrometer's
 * {@code ObservationThreadLocalAccessor.KEY}, where Spring WebFlux, Reactor's {@code tap} and
 * context propagation put it), else the registry's current one. The wait for the pooled connection
 * is an event ({@value #ACQUIRED}) of the first statement on a connection; a reading given up
 * part way is an event ({@value #CANCELLED}). With Micrometer Tracing behind the registry each
 * observation is a client span, and its propagator's {@code traceparent} is what the trace comment
 * carries.
 *
 * <pre>{@code
 * ReactiveDbRouter.builder(settings).statementTracer(new ObservationStatementTracer(observationRegistry)).build();
 * }</pre>
 */
public final class ObservationStatementTracer implements StatementTracer {

    /** {@code ObservationThreadLocalAccessor.KEY}, spelled out: that class needs context-propagation on the class path. */
    public static final String OBSERVATION_KEY = "micrometer.observation";
    /** The event of the first statement on a connection: its contextual name says how long the wait for the connection was. */
    public static final String ACQUIRED = "reactivedb.pool.acquired";
    /** The event of a statement whose reader stopped reading before the end of its reply. */
    public static final String CANCELLED = "reactivedb.statement.cancelled";

    private static final DbStatementObservationConvention DEFAULT = new DefaultDbStatementObservationConvention();

    private final ObservationRegistry registry;
    private final @Nullable DbStatementObservationConvention convention;

    /** Observations with the {@link DefaultDbStatementObservationConvention}. */
    public ObservationStatementTracer(ObservationRegistry registry) {
        this(registry, null);
    }

    /** @param convention replaces the default convention; null keeps it */
    public ObservationStatementTracer(ObservationRegistry registry, @Nullable DbStatementObservationConvention convention) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.convention = convention;
    }

    @Override
    public StatementSpan start(StatementAttributes statement, ContextView caller) {
        if (registry.isNoop()) {
            return StatementSpan.NONE;
        }
        DbStatementContext context = new DbStatementContext(statement);
        Observation observation = Observation.createNotStarted(convention, DEFAULT, () -> context, registry);
        if (caller.getOrDefault(OBSERVATION_KEY, null) instanceof Observation parent && !parent.isNoop()) {
            observation.parentObservation(parent);
        }
        observation.start();
        statement.acquireWait().ifPresent(wait -> observation.event(Observation.Event.of(ACQUIRED,
                "connection acquired after " + wait.toNanos() / 1_000 + " µs")));
        return new Span(observation, context);
    }

    /** One statement's observation. */
    private record Span(Observation observation, DbStatementContext context) implements StatementSpan {

        @Override
        public Optional<String> traceparent() {
            Optional<java.util.Map<String, String>> carrier = Optional.ofNullable(context.getCarrier());
            return carrier.map(headers -> headers.get(DbStatementContext.TRACEPARENT));
        }

        @Override
        public void error(Throwable error) {
            observation.error(error);
        }

        @Override
        public void cancelled() {
            observation.event(Observation.Event.of(CANCELLED));
        }

        @Override
        public void end() {
            observation.stop();
        }
    }
}
