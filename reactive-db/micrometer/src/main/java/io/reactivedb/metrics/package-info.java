/**
 * The Micrometer binder at the edge of the library: query timers, pool gauges, replica lag, endpoint
 * and health status. The core exposes read-only views and a {@link io.reactivedb.routing.QueryListener};
 * this package turns them into meters.
 */
@NullMarked
package io.reactivedb.metrics;

import org.jspecify.annotations.NullMarked;
