package io.reactivedb.routing;

/** A feature of the router that is on by default and can be switched off with {@link RouterBuilder#without(RouterFeature...)}. */
public enum RouterFeature {
    /** Probing every endpoint each interval: topology, lag, failover, health status and events. */
    HEALTH_MONITORING,
    /** Retrying what the failure classifier calls safe to retry, with backoff. */
    RETRY,
    /** One circuit breaker per endpoint. */
    CIRCUIT_BREAKERS,
    /** Logging and keeping units of work slower than the threshold. */
    SLOW_QUERY_LOG
}
