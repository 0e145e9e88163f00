package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.util.ArrayList;
import java.util.List;

/**
 * The roles, grants and {@code pg_hba.conf} of a dev cluster: least privilege, the way a production
 * database should be set up (the README's "Roles and grants" shows the same statements).
 *
 * <ul>
 *   <li>migration user: owns the database and its {@code public} schema, so it creates, alters and
 *       drops the tables (migrations run as this user);</li>
 *   <li>application user: connects and may create temporary tables; {@code USAGE} on
 *       {@code public} and, by default privileges, {@code SELECT, INSERT, UPDATE, DELETE} on every
 *       table and {@code USAGE, SELECT} on every sequence the migration user creates. No DDL, no
 *       roles, no {@code ALTER SYSTEM}, no server programs or files;</li>
 *   <li>health user: connects and is a member of {@code pg_monitor} (replication and activity
 *       views for lag queries); no access to any table;</li>
 *   <li>{@value DevCluster#BACKUP_USER}: backups and their verification: a member of
 *       {@code pg_read_all_data} (reads every table and sequence for {@code pg_dump}, writes nothing)
 *       with {@code CREATEDB} (the scratch database a verification restores into); it owns no table;</li>
 *   <li>{@code replicator}: replication only; {@value DevTls#CLIENT_CERT_USER} (TLS clusters only):
 *       logs in with a client certificate and has no privileges.</li>
 * </ul>
 * {@code PUBLIC} loses every privilege on the application database and its {@code public} schema.
 *
 * <p>Passwords are sent as SCRAM-SHA-256 verifiers computed here ({@link ScramVerifier}), never as
 * text, and the script turns off statement tracking and logging for its own session first, so
 * neither {@code pg_stat_statements} nor the server log sees even the verifiers.
 */
final class DevRoles {

    private DevRoles() {
    }

    /** Creates the roles and the database; run as the superuser in the maintenance database. */
    static String clusterScript(DevClusterOptions options, DevPasswords passwords) {
        String app = quote(options.appUser());
        String migrator = quote(options.migrationUser());
        String health = quote(options.healthUser());
        String database = quote(options.database());
        String backup = quote(DevCluster.BACKUP_USER);
        List<String> lines = new ArrayList<>(List.of(
                // Superuser-only settings of this session: the role statements below reach neither the
                // statistics nor the log (they carry verifiers, not passwords, but those stay private too).
                "SET pg_stat_statements.track_utility = off;",
                "SET log_statement = 'none';",
                "SET log_min_duration_statement = -1;",
                "CREATE ROLE " + DevCluster.REPLICATION_USER + " WITH REPLICATION LOGIN;",
                createLogin(migrator, passwords.migration(), "NOCREATEDB"),
                createLogin(app, passwords.app(), "NOCREATEDB"),
                createLogin(health, passwords.health(), "NOCREATEDB"),
                createLogin(backup, passwords.backup(), "CREATEDB"),
                "GRANT pg_monitor TO " + health + ";",
                "GRANT pg_read_all_data TO " + backup + ";",
                "CREATE DATABASE " + database + " OWNER " + migrator + ";",
                "REVOKE ALL ON DATABASE " + database + " FROM PUBLIC;",
                "GRANT CONNECT, TEMPORARY ON DATABASE " + database + " TO " + app + ";",
                "GRANT CONNECT ON DATABASE " + database + " TO " + health + ";",
                "GRANT CONNECT ON DATABASE " + database + " TO " + backup + ";"));
        if (options.tls()) {
            lines.add("CREATE ROLE " + DevTls.CLIENT_CERT_USER + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;");
            lines.add("GRANT CONNECT ON DATABASE " + database + " TO " + DevTls.CLIENT_CERT_USER + ";");
        }
        lines.add("");
        return String.join("\n", lines);
    }

    /** Schema ownership and default privileges; run as the superuser in the application database. */
    static String databaseScript(DevClusterOptions options) {
        String app = quote(options.appUser());
        String migrator = quote(options.migrationUser());
        String health = quote(options.healthUser());
        return String.join("\n",
                "ALTER SCHEMA public OWNER TO " + migrator + ";",
                "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
                "GRANT USAGE ON SCHEMA public TO " + app + ", " + health + ";",
                "ALTER DEFAULT PRIVILEGES FOR ROLE " + migrator + " IN SCHEMA public"
                        + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + app + ";",
                "ALTER DEFAULT PRIVILEGES FOR ROLE " + migrator + " IN SCHEMA public"
                        + " GRANT USAGE, SELECT ON SEQUENCES TO " + app + ";",
                "");
    }

    /** The whole {@code pg_hba.conf}: with TLS, only {@code hostssl} lines accept anyone. */
    static List<String> hba(boolean tls) {
        List<String> lines = new ArrayList<>(List.of(
                "# Written by reactive-db dev services. DEV ONLY: replication is trusted from loopback so that",
                "# pg_basebackup -R does not write a replication password in clear into postgresql.auto.conf."));
        if (!tls) {
            lines.add("host replication " + DevCluster.REPLICATION_USER + " 127.0.0.1/32 trust");
            lines.add("host all all 127.0.0.1/32 scram-sha-256");
            return lines;
        }
        lines.add("hostssl replication " + DevCluster.REPLICATION_USER + " 127.0.0.1/32 trust");
        lines.add("hostssl all " + DevTls.CLIENT_CERT_USER + " 127.0.0.1/32 cert");
        lines.add("hostssl all all 127.0.0.1/32 scram-sha-256");
        lines.add("hostnossl all all 127.0.0.1/32 reject");
        lines.add("hostnossl replication all 127.0.0.1/32 reject");
        return lines;
    }

    private static String createLogin(String role, Secret password, String createDb) {
        return "CREATE ROLE " + role + " WITH LOGIN NOSUPERUSER " + createDb + " NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '"
                + ScramVerifier.of(password) + "';";
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
