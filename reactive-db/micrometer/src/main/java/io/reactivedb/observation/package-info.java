/**
 * The Micrometer Observation binding of the router's statement tracing:
 * {@link io.reactivedb.observation.ObservationStatementTracer} makes one client observation per
 * statement, nested in the caller's observation from the Reactor Context, with the OpenTelemetry
 * database semantic conventions' key values ({@link io.reactivedb.observation.DefaultDbStatementObservationConvention}).
 */
@NullMarked
package io.reactivedb.observation;

import org.jspecify.annotations.NullMarked;
