/**
 * The router's health monitoring: the monitor (one probe round per interval on the router's
 * scheduler, one hot event stream), one probe per endpoint over a connection reserved for probes,
 * and the pure topology evaluation (writer, lag, split brain, status). Not API: the module does not
 * export it, and it may change in any release; applications watch it through
 * {@link io.reactivedb.health.HealthView}.
 */
@NullMarked
package io.reactivedb.internal.health;

import org.jspecify.annotations.NullMarked;
