/**
 * R2DBC SPI over the {@link io.reactivedb.routing.ReactiveDbRouter}: {@link
 * io.reactivedb.r2dbc.RouterConnectionFactory}, a {@code ConnectionFactory} whose connections bind
 * to an endpoint when their first operation arrives, so that code written against the SPI (Spring's
 * {@code DatabaseClient}, {@code R2dbcTransactionManager}, Spring Data R2DBC) runs read-only
 * transactions on replicas and everything else on the primary. Depends on r2dbc-spi and Reactor
 * only, never on Spring.
 */
@NullMarked
package io.reactivedb.r2dbc;

import org.jspecify.annotations.NullMarked;
