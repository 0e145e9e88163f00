package io.reactivedb.config;

/** The role an endpoint is configured with. The health monitor may observe a different one. */
public enum EndpointRole {
    PRIMARY,
    REPLICA
}
