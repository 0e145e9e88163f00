package io.reactivedb.devservices;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.Pooler;
import io.reactivedb.routing.ReactiveDbRouter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link DevClusterOptions.Builder#pgbouncer} starts PgBouncer with a cluster; closing the cluster stops it. */
class DevPgBouncerIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @BeforeAll
    static void pgBouncerInstalled() {
        Assumptions.assumeTrue(DevPgBouncer.binary().isPresent(),
                "PgBouncer is not installed (bin/ensure-pgbouncer installs Debian's pgbouncer package): skipping");
    }

    @Test
    void startedInFrontOfTheClusterAuthenticatingWithScramSecretsAndStoppedWithIt() throws IOException {
        DevCluster cluster = DevCluster.start(DevClusterOptions.builder().replicas(0).pgbouncer(Pooler.PGBOUNCER_TRANSACTION).build());
        int port;
        try {
            DevPgBouncer pooler = cluster.pgbouncer().orElseThrow();
            assertThat(pooler.mode()).isEqualTo(Pooler.PGBOUNCER_TRANSACTION);
            port = pooler.port(cluster.primary());
            assertThat(port).isNotEqualTo(cluster.primary().port());
            assertThat(pooler.settings().primary().port()).isEqualTo(port);
            assertThat(pooler.settings().session().pooler()).isEqualTo(Pooler.PGBOUNCER_TRANSACTION);

            ReactiveDbRouter router = ReactiveDbRouter.builder(pooler.settings()).without(RouterFeature.HEALTH_MONITORING).build();
            try {
                // The client talks to PgBouncer's port; the session it gets is the server's.
                assertThat(router.write(s -> s.query("SELECT current_user || ' ' || inet_server_port()", row -> row.get(0, String.class)))
                        .single().block(WAIT)).isEqualTo(cluster.appUser() + " " + cluster.primary().port());
            } finally {
                router.shutdown(Duration.ofSeconds(5)).block(WAIT);
            }

            List<Path> authFiles;
            try (Stream<Path> files = Files.list(cluster.directory())) {
                authFiles = files.filter(f -> f.getFileName().toString().matches("pgbouncer-\\d+-users\\.txt")).toList();
            }
            assertThat(authFiles).hasSize(1);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(authFiles.get(0)))).isEqualTo("rw-------");
            String auth = Files.readString(authFiles.get(0));
            assertThat(auth).contains("\"" + cluster.appUser() + "\" \"SCRAM-SHA-256$")
                    .doesNotContain(cluster.appPassword().reveal()).doesNotContain(cluster.healthPassword().reveal());
        } finally {
            cluster.close();
        }
        assertThat(accepts(port)).as("PgBouncer stopped with the cluster").isFalse();
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(DevCluster.HOST, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
