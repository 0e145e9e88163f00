/**
 * The pools behind the router: one r2dbc-pool per endpoint over r2dbc-postgresql ({@link
 * io.reactivedb.internal.pool.EndpointPool}, every timeout and limit set explicitly, the session
 * settings applied to each new connection), the acquire and query deadlines, the connection-opening
 * rate limit, the peer name check and the driver's BlockHound allowances. Not API: the module does
 * not export it, and it may change in any release; what applications read of a pool is in
 * {@link io.reactivedb.pool}.
 */
@NullMarked
package io.reactivedb.internal.pool;

import org.jspecify.annotations.NullMarked;
