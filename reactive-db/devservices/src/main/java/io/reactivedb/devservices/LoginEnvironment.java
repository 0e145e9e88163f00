package io.reactivedb.devservices;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** A cluster's logins as the environment variables the command lines and a service read. */
final class LoginEnvironment {

    private LoginEnvironment() {
    }

    /** See {@link DevCluster#loginEnvironment()}. */
    static Map<String, String> of(DevCluster cluster, DevPasswords passwords) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DATABASE_URL", cluster.databaseUrl(cluster.primary()));
        env.put("DB_READ_REPLICA_URLS", cluster.replicas().stream().map(cluster::databaseUrl).collect(Collectors.joining(",")));
        env.put("DB_PASSWORD", passwords.app().reveal());
        env.put("DB_HEALTH_USER", cluster.healthUser());
        env.put("DB_HEALTH_PASSWORD", passwords.health().reveal());
        env.put("DB_MIGRATION_USER", cluster.migrationUser());
        env.put("DB_MIGRATION_PASSWORD", passwords.migration().reveal());
        env.put("BACKUP_DATABASE_URL", url(DevCluster.BACKUP_USER, cluster.primary(), cluster.database()));
        env.put("BACKUP_DB_PASSWORD", passwords.backup().reveal());
        return env;
    }

    /** {@code postgresql://<user>@127.0.0.1:<port>/<database>}, without password. */
    static String url(String user, DevNode node, String database) {
        return "postgresql://" + user + "@" + DevCluster.HOST + ":" + node.port() + "/" + database;
    }
}
