/**
 * Health of the endpoints and the observed topology: one probe per endpoint per interval over a
 * connection reserved for probes, an aggregated {@link io.reactivedb.health.HealthStatus}, and one
 * hot stream of typed {@link io.reactivedb.health.HealthEvent}s.
 */
@NullMarked
package io.reactivedb.health;

import org.jspecify.annotations.NullMarked;
