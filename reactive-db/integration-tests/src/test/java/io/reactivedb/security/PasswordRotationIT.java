package io.reactivedb.security;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.routing.ReactiveDbRouter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DB_PASSWORD_FILE} is read for every new connection: after the password is rotated on the
 * server and in the file, new connections log in with the new one, without a restart of the router.
 */
@DevClusterTest
class PasswordRotationIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String USER = "rotating_user";

    @Test
    void aRotatedPasswordFileReachesNewConnectionsWithoutARestart(DevCluster cluster, @TempDir Path folder) throws IOException {
        String first = "first-p@ss:/%";
        String second = "second-p@ss:/%";
        cluster.psql(cluster.primary(), "postgres", "DROP ROLE IF EXISTS " + USER + "; CREATE ROLE " + USER + " LOGIN PASSWORD '" + first
                + "'; GRANT CONNECT ON DATABASE " + cluster.database() + " TO " + USER);
        Path file = Files.writeString(folder.resolve("password"), first + "\n");
        ReactiveDbSettings settings = EnvironmentSettings.parse(Map.of("DB_HOST", DevCluster.HOST, "DB_PORT",
                String.valueOf(cluster.primary().port()), "DB_USER", USER, "DB_NAME", cluster.database(),
                "DB_PASSWORD_FILE", file.toString(), "DB_POOL_MIN", "0"));
        ReactiveDbRouter router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING, RouterFeature.RETRY).build();
        try {
            assertThat(currentUser(router)).isEqualTo(USER);

            // The server gets the new password and every session of the user ends, so the pool must reconnect.
            cluster.psql(cluster.primary(), "postgres", "ALTER ROLE " + USER + " PASSWORD '" + second + "';"
                    + " SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '" + USER + "'");
            // The pool may lend the terminated connection once more, before the client has seen its
            // socket close: that call fails with 57P01. The next one must open a new connection.
            Throwable refused = catchThrowable(() -> currentUser(router));
            if (refused instanceof ReactiveDbException stale && stale.sqlState().filter("57P01"::equals).isPresent()) {
                refused = catchThrowable(() -> currentUser(router));
            }
            assertThat(refused).isInstanceOfSatisfying(DbConnectionException.class, e -> assertThat(e.sqlState()).contains("28P01"));

            Files.writeString(file, second + "\n");
            assertThat(currentUser(router)).isEqualTo(USER);
        } finally {
            router.shutdown().block(WAIT);
            cluster.psql(cluster.primary(), "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '"
                    + USER + "'");
        }
    }

    private static String currentUser(ReactiveDbRouter router) {
        return router.write(s -> s.query("SELECT current_user::text", row -> row.get(0, String.class))).blockLast(WAIT);
    }
}
