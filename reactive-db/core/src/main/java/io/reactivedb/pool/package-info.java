/**
 * One r2dbc-pool per endpoint over r2dbc-postgresql, with every timeout and limit set explicitly,
 * the session settings applied to each new connection, and a read-only view of pool statistics.
 * The pools know nothing about routing.
 */
@NullMarked
package io.reactivedb.pool;

import org.jspecify.annotations.NullMarked;
