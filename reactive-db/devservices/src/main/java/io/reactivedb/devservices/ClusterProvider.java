package io.reactivedb.devservices;

import java.util.Optional;

/**
 * One way to run a dev cluster: the seam {@link ProviderSelection} chooses among. The local one
 * starts {@link DevCluster}; the container one {@code ContainerCluster}, whose class is loaded only
 * once Testcontainers is known to be on the classpath.
 */
interface ClusterProvider {

    /** {@link DevClusterProvider#LOCAL} or {@link DevClusterProvider#CONTAINERS}. */
    DevClusterProvider kind();

    /** Why this provider cannot start a cluster with {@code options} here; empty when it can. */
    Optional<String> unavailable(DevClusterOptions options);

    /** Starts a cluster; blocks for the whole start. */
    DevServicesCluster start(DevClusterOptions options);

    /** The local PostgreSQL binaries: unavailable when {@code PostgresBinaries} finds no server binaries. */
    static ClusterProvider local() {
        return new ClusterProvider() {
            @Override
            public DevClusterProvider kind() {
                return DevClusterProvider.LOCAL;
            }

            @Override
            public Optional<String> unavailable(DevClusterOptions options) {
                try {
                    PgControl.locate(options.binDir());
                    return Optional.empty();
                } catch (DevServicesException e) {
                    return Optional.of(String.valueOf(e.getMessage()));
                }
            }

            @Override
            public DevServicesCluster start(DevClusterOptions options) {
                return DevCluster.start(options.toBuilder().provider(DevClusterProvider.LOCAL).build());
            }
        };
    }
}
