/**
 * The {@link io.reactivedb.routing.ReactiveDbRouter}: endpoints, replica selection, sessions and
 * transactions. A connection's life is its subscription's: acquired on subscribe, released exactly
 * once on complete, error or cancel, and handed back clean.
 */
@NullMarked
package io.reactivedb.routing;

import org.jspecify.annotations.NullMarked;
