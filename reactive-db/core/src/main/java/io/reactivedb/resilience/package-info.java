/**
 * Building blocks for surviving failures: one {@link io.reactivedb.resilience.FailureClassifier}
 * that decides both whether work may be retried and whether a failure counts against an endpoint's
 * health, a bounded {@link io.reactivedb.internal.resilience.RetryOperator} with jittered exponential
 * {@link io.reactivedb.internal.resilience.Backoff}, per-endpoint circuit breakers
 * ({@link io.reactivedb.internal.resilience.EndpointBreakers}, over Resilience4j) and a
 * {@link io.reactivedb.resilience.SlowQueryLog}.
 *
 * <p>Time is read only from an injected Reactor {@link reactor.core.scheduler.Scheduler}, so tests
 * drive every delay, deadline and breaker wait with virtual time. Nothing here blocks.
 *
 * <p>These blocks are not yet applied by {@link io.reactivedb.routing.ReactiveDbRouter}.
 */
@NullMarked
package io.reactivedb.resilience;

import org.jspecify.annotations.NullMarked;
