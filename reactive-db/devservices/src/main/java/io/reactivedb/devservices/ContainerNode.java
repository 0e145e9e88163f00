package io.reactivedb.devservices;

/** One server of a {@link ContainerCluster} as the test JVM reaches it: the Docker host and the mapped port. */
record ContainerNode(String name, String host, int port, int index) implements ClusterNode {
    @Override
    public String toString() {
        return name + " (" + host + ":" + port + ", container)";
    }
}
