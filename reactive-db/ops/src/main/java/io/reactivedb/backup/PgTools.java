package io.reactivedb.backup;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.tools.PostgresBinaries;
import io.reactivedb.tools.PostgresToolsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code pg_dump} and {@code pg_restore} against one server. Blocking: call it on
 * {@code Schedulers.boundedElastic()} only.
 *
 * <p>The password never reaches a command line or the child's environment: it goes into a
 * temporary passfile readable only by this user (0600), named by {@code PGPASSFILE} and deleted
 * when the tool ends. Inherited {@code PG*} variables are removed so the tools connect exactly
 * where the settings say. A tool's error output goes to a temporary file (a full pipe can never
 * stall it) and its end is quoted in failures.
 */
final class PgTools {

    static final String APPLICATION_NAME = "reactive-db backup";
    private static final Logger log = LoggerFactory.getLogger(PgTools.class);
    private static final List<String> TOOLS = List.of("pg_dump", "pg_restore");
    private static final int TAIL_LINES = 15;

    private final PostgresBinaries binaries;
    private final EndpointSettings server;
    private volatile @Nullable String pgDumpVersion;

    private PgTools(PostgresBinaries binaries, EndpointSettings server) {
        this.binaries = binaries;
        this.server = server;
    }

    /** @throws BackupException when {@code pg_dump} or {@code pg_restore} cannot be found */
    static PgTools locate(Optional<Path> binDir, EndpointSettings server) {
        try {
            return new PgTools(PostgresBinaries.locate(binDir, TOOLS), server);
        } catch (PostgresToolsException e) {
            throw new BackupException(e.getMessage(), e);
        }
    }

    /** The first line of {@code pg_dump --version}; runs it once. */
    String pgDumpVersion() {
        String version = pgDumpVersion;
        if (version == null) {
            try (Tool tool = start("pg_dump", List.of("--version"), Optional.empty())) {
                version = new String(tool.stdout().readAllBytes(), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("pg_dump");
                tool.awaitSuccess(Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new BackupException("could not run pg_dump --version: " + e.getMessage(), e);
            }
            pgDumpVersion = version;
        }
        return version;
    }

    /** {@code pg_dump} of {@code database} in custom format, uncompressed, in the exported {@code snapshot}, to stdout. */
    Tool dump(String database, String snapshot) {
        return start("pg_dump", List.of("--format=custom", "--compress=0", "--no-password", "--lock-wait-timeout=60000",
                "--snapshot=" + snapshot, "--dbname=" + conninfo(database)), Optional.of(database));
    }

    /**
     * {@code pg_restore} of a custom-format archive read from stdin into {@code database}, in one
     * transaction, stopping at the first error.
     *
     * @param keepOwnership restore owners and privileges as dumped; false for a scratch database
     * @param useList       a {@code pg_restore -l} listing of the entries to restore; empty: all of them
     */
    Tool restore(String database, boolean keepOwnership, Optional<Path> useList) {
        List<String> args = new ArrayList<>(List.of("--no-password", "--exit-on-error", "--single-transaction"));
        useList.ifPresent(list -> args.add("--use-list=" + list));
        if (!keepOwnership) {
            args.add("--no-owner");
            args.add("--no-acl");
        }
        args.add("--dbname=" + conninfo(database));
        return start("pg_restore", args, Optional.of(database));
    }

    /** {@code pg_restore -l}: the table of contents of a custom-format archive read from stdin, on stdout. Connects nowhere. */
    Tool list() {
        return start("pg_restore", List.of("--list"), Optional.empty());
    }

    /** A libpq connection string naming only the database (the rest comes from the environment). */
    static String conninfo(String database) {
        return "dbname='" + database.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private Tool start(String name, List<String> args, Optional<String> database) {
        List<String> command = new ArrayList<>();
        command.add(binaries.executable(name).toString());
        command.addAll(args);
        String display = name + (database.map(db -> " of database " + db).orElse(""));
        Path passfile = null;
        Path errors = null;
        try {
            errors = Files.createTempFile("reactive-db-backup-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(key -> key.startsWith("PG"));
            env.put("PGHOST", server.host());
            env.put("PGPORT", Integer.toString(server.port()));
            env.put("PGUSER", server.username());
            env.put("PGAPPNAME", APPLICATION_NAME);
            env.put("PGCONNECT_TIMEOUT", "10");
            env.put("PGSSLMODE", server.tls().mode().libpqName());
            server.tls().rootCert().ifPresent(path -> env.put("PGSSLROOTCERT", path.toString()));
            server.tls().cert().ifPresent(path -> env.put("PGSSLCERT", path.toString()));
            server.tls().key().ifPresent(path -> env.put("PGSSLKEY", path.toString()));
            if (!server.password().isEmpty()) {
                passfile = passfile(server);
                env.put("PGPASSFILE", passfile.toString());
            } else {
                env.put("PGPASSFILE", "/dev/null");
            }
            log.debug("Starting {} against {}:{}", display, server.host(), server.port());
            return new Tool(display, builder.start(), errors, passfile);
        } catch (IOException e) {
            deleteQuietly(passfile);
            deleteQuietly(errors);
            throw new BackupException("could not start " + display + ": " + e.getMessage(), e);
        }
    }

    /** A passfile ({@code host:port:*:user:password}, {@code :} and {@code \} escaped) readable only by this user. */
    private static Path passfile(EndpointSettings server) throws IOException {
        Path file = Files.createTempFile("reactive-db-backup-", ".pgpass",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String line = escape(server.host()) + ":" + server.port() + ":*:" + escape(server.username()) + ":"
                + escape(server.password().reveal()) + "\n";
        Files.writeString(file, line, StandardCharsets.UTF_8);
        return file;
    }

    private static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }

    static void deleteQuietly(@Nullable Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("Could not delete {}: {}", file, e.toString());
        }
    }

    /** A started tool. Closing it kills it if it still runs and deletes its temporary files. */
    static final class Tool implements AutoCloseable {
        private final String display;
        private final Process process;
        private final Path errors;
        private final @Nullable Path passfile;

        Tool(String display, Process process, Path errors, @Nullable Path passfile) {
            this.display = display;
            this.process = process;
            this.errors = errors;
            this.passfile = passfile;
        }

        InputStream stdout() {
            return process.getInputStream();
        }

        OutputStream stdin() {
            return process.getOutputStream();
        }

        /** Kills the tool (and its children); safe from any thread, any number of times. */
        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }

        /**
         * Waits for the tool to end.
         *
         * @throws BackupException quoting the end of its error output when it exits non-zero or
         *                         does not end within {@code timeout}
         */
        void awaitSuccess(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                    throw new BackupException(display + " did not finish within " + timeout + "; killed it. Its output: " + errorTail());
                }
            } catch (InterruptedException e) {
                kill();
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted while waiting for " + display, e);
            }
            if (process.exitValue() != 0) {
                throw failure();
            }
        }

        /** Whether it has ended with a non-zero exit code (after waiting at most {@code wait}). */
        boolean failed(Duration wait) {
            try {
                return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS) && process.exitValue() != 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        BackupException failure() {
            return new BackupException(display + " failed with exit code " + process.exitValue() + ": " + errorTail());
        }

        String errorTail() {
            try {
                List<String> lines = Files.readAllLines(errors, StandardCharsets.UTF_8);
                List<String> tail = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
                String text = String.join("\n", tail).strip();
                return text.isEmpty() ? "(no error output)" : text;
            } catch (IOException e) {
                return "(could not read its error output: " + e + ")";
            }
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                kill();
            }
            deleteQuietly(passfile);
            deleteQuietly(errors);
        }
    }
}
