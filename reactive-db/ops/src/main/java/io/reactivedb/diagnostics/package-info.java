/**
 * Database diagnostics and pool tuning advice. {@link io.reactivedb.diagnostics.Diagnostics} is the
 * facade: one method per diagnostic, each a {@code Mono} of typed records, run in a short read-only
 * transaction on the endpoint it describes ({@code SET LOCAL statement_timeout} and
 * {@code lock_timeout}, so a diagnostic never waits behind the application's locks).
 * {@link io.reactivedb.diagnostics.PoolAdvisor} turns pool observations into typed
 * {@link io.reactivedb.diagnostics.PoolRecommendation}s.
 */
@NullMarked
package io.reactivedb.diagnostics;

import org.jspecify.annotations.NullMarked;
