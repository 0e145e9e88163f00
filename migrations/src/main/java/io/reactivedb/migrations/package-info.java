/**
 * Schema migrations of the demo schema with Liquibase over JDBC: {@link io.reactivedb.migrations.MigrationRunner}
 * (update, rollback, tag, status, validate, history), its command line
 * {@link io.reactivedb.migrations.MigrationCli} and the startup check {@link io.reactivedb.migrations.SchemaCheck}.
 *
 * <p>Everything here blocks (JDBC). It runs at startup or from the command line, never on request
 * threads; {@link io.reactivedb.migrations.MigrationRunner#statusAsync()} moves the one call a
 * reactive application may want to make at run time onto {@code Schedulers.boundedElastic()}.
 * Migrations always run against the primary.
 */
@NullMarked
package io.reactivedb.migrations;

import org.jspecify.annotations.NullMarked;
