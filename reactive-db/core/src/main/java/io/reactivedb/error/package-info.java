/**
 * The exceptions callers see. Every driver, pool and network failure is translated in exactly one
 * place ({@link io.reactivedb.error.ErrorTranslator}) into this hierarchy, which keeps the SQLSTATE,
 * the server's constraint/table details, the endpoint's name (never its password) and whether the
 * work may safely be tried again.
 *
 * <pre>
 * ReactiveDbException
 * ├── DbConnectionException        could not get, open or keep a connection
 * │   └── DbPoolExhaustedException  no connection free within the acquire timeout (in {@code io.reactivedb.pool},
 * │                                 beside the pool state it carries)
 * ├── DbQueryException             the server rejected a statement
 * ├── DbTransactionException       begin/commit/rollback failed, serialization failure, deadlock
 * ├── DbOutcomeUnknownException    the connection broke after a write may have reached the server
 * └── DbUnavailableException       no eligible endpoint, or the router is shut down
 * </pre>
 */
@NullMarked
package io.reactivedb.error;

import org.jspecify.annotations.NullMarked;
