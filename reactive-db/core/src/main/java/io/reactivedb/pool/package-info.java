/**
 * What applications read of the router's pools: {@link io.reactivedb.pool.PoolStatistics},
 * {@link io.reactivedb.pool.AcquireWaits} and the {@link io.reactivedb.pool.DbPoolExhaustedException}
 * of an acquire timeout. The pools themselves are internal ({@code io.reactivedb.internal.pool}) and
 * know nothing about routing.
 */
@NullMarked
package io.reactivedb.pool;

import org.jspecify.annotations.NullMarked;
