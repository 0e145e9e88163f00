/**
 * reactive-db's core: the router and what it is configured, observed and used through.
 *
 * <p>Exported, and API: {@code routing} (the router, its builder, the unit of work's
 * {@code DbSession}, the integrations' {@code ConnectionLoan}, transaction options, read
 * consistency, operation, listener, endpoint view), {@code config} (settings), {@code error} (the
 * exception hierarchy and its one translator), {@code health} (the read-only view, snapshots and
 * events), {@code pool} (pool statistics, acquire waits, the pool-exhausted exception),
 * {@code r2dbc} (the R2DBC {@code ConnectionFactory} over the router) and {@code resilience}
 * (retry and breaker settings, the breaker view, the failure classification, retry listener and
 * slow-query log). Nothing under {@code io.reactivedb.internal} is exported: the pools, the health
 * monitor and probes, the shared command-line skeleton and the operator plumbing may change in any
 * release. The sibling artifacts (ops, migrations, load tests) that use an internal package run on
 * the class path, where module boundaries do not apply; a qualified export to them waits until they
 * are modules themselves.
 */
// Every dependency but slf4j, jspecify and Netty is an automatic module (Automatic-Module-Name only),
// which javac points out once per directive.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.reactivedb.core {
    // Types of these appear in the exported API (Mono/Flux, Publisher, ConnectionFactory and
    // Connection, the breaker's State and Metrics), so a reader of this module reads them too.
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires transitive r2dbc.spi;
    requires transitive io.github.resilience4j.circuitbreaker;

    requires r2dbc.postgresql;
    requires r2dbc.pool;
    requires reactor.pool; // the pool's eviction predicate, set through r2dbc-pool's customizer
    requires io.netty.handler; // the TLS context customizer of verify-full and verify-ca
    requires io.netty.buffer; // the COPY data frames of DbSession.copyIn
    requires io.github.resilience4j.core; // the breaker's wait interval function and event consumer
    requires org.slf4j;
    requires java.naming;

    // Annotations only: the API's nullness is visible to its readers' compilers, not needed at run time.
    requires static transitive org.jspecify;
    // Optional: only applications that install BlockHound load the driver allowances.
    requires static reactor.blockhound;

    exports io.reactivedb.config;
    exports io.reactivedb.error;
    exports io.reactivedb.health;
    exports io.reactivedb.pool;
    exports io.reactivedb.r2dbc;
    exports io.reactivedb.resilience;
    exports io.reactivedb.routing;
    exports io.reactivedb.tracing;

    provides reactor.blockhound.integration.BlockHoundIntegration
            with io.reactivedb.internal.pool.DriverBlockHoundIntegration;
}
