/**
 * Tracing of statements: the SPI through which the router reports every statement it sends to a
 * tracing library ({@link io.reactivedb.tracing.StatementTracer}, bound to Micrometer Observation by
 * {@code reactive-db-micrometer}), the attributes of a statement in the OpenTelemetry database
 * semantic conventions ({@link io.reactivedb.tracing.StatementAttributes}, never a bound value), and
 * the sqlcommenter-style trace comment ({@link io.reactivedb.tracing.TraceComment}). Depends on
 * nothing of the router, so any tracing binding can live outside the core.
 */
@NullMarked
package io.reactivedb.tracing;

import org.jspecify.annotations.NullMarked;
