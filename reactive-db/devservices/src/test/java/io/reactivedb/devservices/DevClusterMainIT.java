package io.reactivedb.devservices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DevClusterTest
class DevClusterMainIT {

    private static final String TOKEN = "0123456789abcdef";
    private final DevCluster cluster;

    DevClusterMainIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    /** Sends one line to {@link DevClusterMain#serve} over a real loopback socket; returns the reply and whether it asked to stop. */
    private record Exchange(String reply, boolean shutdown) {
    }

    private Exchange send(String line) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            CompletableFuture<Boolean> served = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = server.accept()) {
                    return DevClusterMain.serve(cluster, accepted, TOKEN);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8).println(line);
            String reply = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8)).readLine();
            return new Exchange(reply, served.get());
        }
    }

    @Test
    void commandsNeedTheTokenAndReachTheServers() throws Exception {
        assertThat(send("wrong-token status").reply()).isEqualTo("error: unauthorised");
        assertThat(send("status").reply()).isEqualTo("error: unauthorised");

        assertThat(send(TOKEN + " status").reply()).isEqualTo("ok primary=running replica-1=running replica-2=running");
        assertThat(send(TOKEN + " stop").reply()).isEqualTo("error: stop needs a node name");
        assertThat(send(TOKEN + " stop replica-9").reply()).isEqualTo("error: no node replica-9");

        DevNode replica = cluster.replicas().get(0);
        try {
            assertThat(send(TOKEN + " pause-replay replica-1").reply()).isEqualTo("ok pause-replay replica-1");
            assertThat(cluster.psql(replica, "postgres", "SELECT pg_is_wal_replay_paused()")).isEqualTo("t");
        } finally {
            assertThat(send(TOKEN + " resume-replay replica-1").reply()).isEqualTo("ok resume-replay replica-1");
        }
        assertThat(cluster.psql(replica, "postgres", "SELECT pg_is_wal_replay_paused()")).isEqualTo("f");

        Exchange shutdown = send(TOKEN + " shutdown");
        assertThat(shutdown.reply()).isEqualTo("ok shutting down");
        assertThat(shutdown.shutdown()).isTrue();
    }

    @Test
    void theEnvironmentFileIsTheOwnersAndHoldsWhatTheServiceNeeds(@TempDir Path dir) throws Exception {
        Map<String, String> env = DevClusterMain.environment(cluster, 12345, TOKEN);
        Path file = dir.resolve("cluster.env");
        DevClusterMain.writeEnvFile(file, env);

        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(Files.readAllLines(file)).contains(
                "DATABASE_URL=" + cluster.databaseUrl(cluster.primary()),
                "DB_READ_REPLICA_URLS=" + cluster.databaseUrl(cluster.replicas().get(0)) + "," + cluster.databaseUrl(cluster.replicas().get(1)),
                "DB_AUTO_MIGRATE=true",
                "DB_MIGRATION_USER=" + cluster.migrationUser(),
                "BACKUP_DATABASE_URL=postgresql://" + DevCluster.BACKUP_USER + "@" + DevCluster.HOST + ":" + cluster.primary().port() + "/"
                        + cluster.database(),
                "BACKUP_DB_PASSWORD=" + cluster.backupPassword().reveal(),
                "DEV_CLUSTER_CONTROL_PORT=12345",
                "DEV_CLUSTER_CONTROL_TOKEN=" + TOKEN);
        // The URL carries no password; it travels in DB_PASSWORD only.
        assertThat(env.get("DATABASE_URL")).doesNotContain(cluster.appPassword().reveal());
    }

    @Test
    void badArgumentsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> DevClusterMain.parse(new String[] {"--replicas", "2"})).hasMessage("--env-file is required");
        assertThatThrownBy(() -> DevClusterMain.parse(new String[] {"--env-file"})).hasMessage("--env-file needs a value");
        assertThatThrownBy(() -> DevClusterMain.parse(new String[] {"--env-file", "f", "--replicas", "two"})).hasMessage("--replicas must be a number");
        assertThatThrownBy(() -> DevClusterMain.parse(new String[] {"--verbose"})).hasMessage("unknown option --verbose");
    }
}
