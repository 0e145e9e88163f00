package io.reactivedb.devservices;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One PostgreSQL server of a {@link DevCluster}: {@code node-0} is started as the primary,
 * {@code node-1} … {@code node-N} as streaming replicas. Immutable; the port stays the same across
 * stop and start.
 */
public final class DevNode implements ClusterNode {

    private final String name;
    private final int index;
    private final String host;
    private final int port;
    private final Path dataDir;
    private final Path logFile;

    DevNode(int index, String host, int port, Path dataDir, Path logFile) {
        this.index = index;
        this.name = nameOf(index);
        this.host = Objects.requireNonNull(host, "host");
        this.port = port;
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        this.logFile = Objects.requireNonNull(logFile, "logFile");
    }

    static String nameOf(int index) {
        return "node-" + index;
    }

    /** {@code node-0} for the primary, {@code node-<n>} for replica n. */
    @Override
    public String name() { return name; }

    /** Always {@code 127.0.0.1}. */
    @Override
    public String host() { return host; }

    /** The loopback TCP port the server listens on. */
    @Override
    public int port() { return port; }

    /** The data directory ({@code PGDATA}). */
    public Path dataDir() { return dataDir; }

    /** The server log ({@code pg_ctl -l}); it lives next to the data directory. */
    public Path logFile() { return logFile; }

    /** 0 for the primary, n for replica n. */
    int index() { return index; }

    @Override
    public boolean equals(Object o) {
        return o instanceof DevNode other && index == other.index && port == other.port && host.equals(other.host)
                && dataDir.equals(other.dataDir);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, host, port, dataDir);
    }

    @Override
    public String toString() {
        return name + " (" + host + ":" + port + ")";
    }
}
