/**
 * The {@link io.reactivedb.routing.ReactiveDbRouter}: endpoints, replica selection, sessions and
 * transactions. A connection's life is its subscription's: acquired on subscribe, released exactly
 * once on complete, error or cancel, and handed back clean.
 *
 * <p>One name per concept: a unit of work receives a {@link io.reactivedb.routing.DbSession}; an
 * integration that runs the unit of work itself borrows a {@link io.reactivedb.routing.ConnectionLoan};
 * inside the package both hold a {@code Lease}, the pooled connection and its release. "Session"
 * always means a connection's PostgreSQL server session; a caller's read-your-writes position is its
 * {@link io.reactivedb.routing.ConsistencyTracker}.
 */
@NullMarked
package io.reactivedb.routing;

import org.jspecify.annotations.NullMarked;
