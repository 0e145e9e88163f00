package io.reactivedb.r2dbc;

import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ReadConsistency;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * Where a routed connection binds, decided by its first operation and the Reactor Context of the
 * {@code create()} subscription.
 *
 * @param read the consistency of a read; null for the writable primary
 */
record Target(@Nullable ReadConsistency read) {

    static final Target WRITER = new Target(null);

    boolean isWrite() {
        return read == null;
    }

    /**
     * A transaction begun with {@code readOnly} (the SPI's {@code TransactionDefinition.READ_ONLY},
     * null when absent). Read-only: the consistency asked for in the context; else read-your-writes
     * when a {@link ConsistencyTracker} is in the context (the caller tracks its writes); else
     * eventual. Anything else: the writer.
     */
    static Target forBegin(@Nullable Boolean readOnly, ContextView context) {
        if (!Boolean.TRUE.equals(readOnly)) {
            return WRITER;
        }
        Optional<ReadConsistency> asked = RouterConnectionFactory.consistencyOf(context);
        if (asked.isPresent()) {
            return new Target(asked.get());
        }
        return new Target(ConsistencyTracker.from(context).isPresent() ? ReadConsistency.readYourWrites() : ReadConsistency.eventual());
    }

    /**
     * A statement outside a transaction: a read at the consistency asked for in the context, else
     * the writer (a statement may write, and only the context can say it does not).
     */
    static Target forStatement(ContextView context) {
        return RouterConnectionFactory.consistencyOf(context).map(Target::new).orElse(WRITER);
    }
}
