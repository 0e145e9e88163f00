/**
 * What the router tells about the health of its endpoints and the observed topology: the read-only
 * {@link io.reactivedb.health.HealthView} ({@code router.health()}), its
 * {@link io.reactivedb.health.HealthSnapshot}s with an aggregated
 * {@link io.reactivedb.health.HealthStatus}, the typed {@link io.reactivedb.health.HealthEvent}s of
 * its one hot stream, {@link io.reactivedb.health.HealthSettings}, and
 * {@link io.reactivedb.health.HealthComponent} for anything else to be checked each round. The
 * monitor, the probes and the topology evaluation are internal ({@code io.reactivedb.internal.health}).
 */
@NullMarked
package io.reactivedb.health;

import org.jspecify.annotations.NullMarked;
