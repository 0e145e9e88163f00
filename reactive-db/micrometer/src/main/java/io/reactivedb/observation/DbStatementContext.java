package io.reactivedb.observation;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;
import io.reactivedb.tracing.StatementAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * The observation context of one statement: a client {@link SenderContext} whose carrier is a map,
 * so a tracing handler that propagates (Micrometer Tracing's {@code PropagatingSenderTracingObservationHandler}
 * with W3C propagation) writes the span's {@code traceparent} into it when the observation starts;
 * the router reads it from there for the trace comment.
 */
public class DbStatementContext extends SenderContext<Map<String, String>> {

    /** The W3C trace context header a propagating tracer writes into the carrier. */
    public static final String TRACEPARENT = "traceparent";

    private final StatementAttributes statement;

    public DbStatementContext(StatementAttributes statement) {
        super((carrier, key, value) -> {
            if (carrier != null) {
                carrier.put(key, value);
            }
        }, Kind.CLIENT);
        this.statement = statement;
        setCarrier(new HashMap<>(4));
        setRemoteServiceName(StatementAttributes.SYSTEM);
        setRemoteServiceAddress(statement.serverAddress() + ":" + statement.serverPort());
    }

    /** What the router told of the statement (never its values). */
    public StatementAttributes statement() {
        return statement;
    }
}
