package io.reactivedb.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * The convention of statement observations; implement it to change names or key values, and hand it
 * to {@link ObservationStatementTracer#ObservationStatementTracer(io.micrometer.observation.ObservationRegistry,
 * DbStatementObservationConvention)}. The default is {@link DefaultDbStatementObservationConvention}.
 */
public interface DbStatementObservationConvention extends ObservationConvention<DbStatementContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof DbStatementContext;
    }
}
