/**
 * Dev services: a local PostgreSQL cluster (one primary plus streaming replicas, 2 by default)
 * for development and tests, started from locally installed PostgreSQL binaries without Docker.
 *
 * <p>{@link io.reactivedb.devservices.DevCluster#start(io.reactivedb.devservices.DevClusterOptions)}
 * finds the binaries ({@link io.reactivedb.tools.PostgresBinaries}), creates
 * {@code <baseDir>/cluster-<timestamp>-<pid>} (default base {@code target/reactive-db-devservices};
 * when running as root and the {@code postgres} OS user cannot write there, under
 * {@code /tmp/reactive-db-devservices}) holding {@code node-0} (primary), {@code node-1..N}
 * (replicas), their logs and an {@code owner.pid} file naming the JVM. Servers listen on free
 * loopback ports only. When running as root, server binaries run as the {@code postgres} OS user.
 *
 * <p><b>Development only.</b> Durability is off ({@code fsync=off}, {@code full_page_writes=off})
 * and {@code pg_hba.conf} trusts replication connections of {@code replicator} from
 * {@code 127.0.0.1}, so that {@code pg_basebackup -R} does not write a replication password in
 * clear into {@code postgresql.auto.conf}. Other connections need SCRAM passwords, generated per
 * cluster.
 *
 * <p>PgBouncer: {@link io.reactivedb.devservices.DevClusterOptions.Builder#pgbouncer} (or
 * {@link io.reactivedb.devservices.DevCluster#startPgBouncer} on a running cluster) starts the
 * system package's {@code pgbouncer} in front of every node, as the {@code postgres} OS user when
 * running as root, with its files in the cluster folder ({@link io.reactivedb.devservices.DevPgBouncer}).
 *
 * <p>Cleanup: {@code close()} (or a JVM shutdown hook) stops the PgBouncers and servers and deletes the cluster
 * folder. Before each start, every {@code cluster-*} folder whose owner JVM is gone (for example
 * killed with SIGKILL) is cleaned: its servers are stopped ({@code pg_ctl stop -m immediate}, or
 * SIGKILL to the postmaster) and the folder deleted. Folders of live JVMs are left alone.
 *
 * <p>Containers: {@link io.reactivedb.devservices.DevServicesCluster#start(io.reactivedb.devservices.DevClusterOptions)}
 * runs the same cluster in Docker containers through Testcontainers (an optional dependency) where
 * a Docker engine is available, chosen by {@link io.reactivedb.devservices.DevClusterProvider}
 * ({@code REACTIVE_DB_DEV_PROVIDER}); the local binaries otherwise. Only {@code ContainerCluster}
 * touches Testcontainers' classes, and it is loaded only after they were found.
 *
 * <p>All operations block (bounded by timeouts); call them from test or startup threads, never
 * from a reactive one. {@link io.reactivedb.devservices.DevClusterExtension} shares one cluster
 * across a JUnit test run.
 */
@NullMarked
package io.reactivedb.devservices;

import org.jspecify.annotations.NullMarked;
