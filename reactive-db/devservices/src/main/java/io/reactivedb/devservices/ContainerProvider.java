package io.reactivedb.devservices;

import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The container provider: available when the options need nothing containers lack (TLS,
 * PgBouncer), Testcontainers is on the classpath and it finds a Docker engine, asked in that
 * order so that the Docker check (which loads Testcontainers) runs only when the classes are there.
 * The two checks are passed in, so each branch is tested without Docker.
 */
final class ContainerProvider implements ClusterProvider {

    /** The class whose presence means Testcontainers is on the classpath. */
    static final String TESTCONTAINERS_CLASS = "org.testcontainers.DockerClientFactory";

    private final BooleanSupplier testcontainersPresent;
    private final BooleanSupplier dockerAvailable;

    ContainerProvider(BooleanSupplier testcontainersPresent, BooleanSupplier dockerAvailable) {
        this.testcontainersPresent = testcontainersPresent;
        this.dockerAvailable = dockerAvailable;
    }

    /** The real checks: the class lookup, then Testcontainers' own Docker discovery (in {@code ContainerCluster}). */
    static ContainerProvider standard() {
        // A lambda, not a method reference: ContainerCluster (which links against Testcontainers) is
        // resolved only when the check runs, after the class lookup found Testcontainers.
        return new ContainerProvider(ContainerProvider::testcontainersOnClasspath, () -> ContainerCluster.dockerAvailable());
    }

    @Override
    public DevClusterProvider kind() {
        return DevClusterProvider.CONTAINERS;
    }

    @Override
    public Optional<String> unavailable(DevClusterOptions options) {
        if (options.tls() || options.pgbouncer().isPresent()) {
            return Optional.of("the container cluster starts neither TLS nor PgBouncer, and the options ask for "
                    + (options.tls() ? "tls" : "pgbouncer"));
        }
        if (!testcontainersPresent.getAsBoolean()) {
            return Optional.of("Testcontainers is not on the classpath (add org.testcontainers:testcontainers 1.21.x"
                    + " to the test dependencies; reactive-db-devservices declares it optional)");
        }
        if (!dockerAvailable.getAsBoolean()) {
            return Optional.of("Testcontainers found no Docker engine (DOCKER_HOST, /var/run/docker.sock or"
                    + " ~/.testcontainers.properties)");
        }
        return Optional.empty();
    }

    @Override
    public DevServicesCluster start(DevClusterOptions options) {
        return ContainerCluster.start(options);
    }

    static boolean testcontainersOnClasspath() {
        try {
            Class.forName(TESTCONTAINERS_CLASS, false, ContainerProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
