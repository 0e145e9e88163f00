package io.reactivedb.tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The folder that holds the PostgreSQL server binaries ({@code initdb}, {@code pg_ctl},
 * {@code pg_basebackup}, {@code psql}, {@code postgres}), or the client tools backups use.
 * Shared by the backup service and the dev-services cluster.
 *
 * <p>{@link #locate(Optional)} looks, in this order, at: the explicit folder (option
 * {@code binDir}), else the environment variable {@value #ENV_VAR}, else every folder on
 * {@code PATH}, else the highest version under {@code /usr/lib/postgresql/<version>/bin}, else
 * {@code /usr/local/pgsql/bin}, {@code /opt/homebrew/opt/postgresql@17/bin} and
 * {@code /usr/local/opt/postgresql@17/bin}. An explicit folder (option or environment variable)
 * that lacks a binary is an error; it is never silently replaced by another installation.
 */
public final class PostgresBinaries {

    /** Environment variable naming the binaries folder when the option {@code binDir} is not set. */
    public static final String ENV_VAR = "REACTIVE_DB_PG_BIN";
    /** The executables the dev cluster needs. */
    public static final List<String> REQUIRED = List.of("initdb", "pg_ctl", "pg_basebackup", "psql", "postgres");

    static final Path VERSIONED_ROOT = Path.of("/usr/lib/postgresql");
    static final List<Path> WELL_KNOWN = List.of(Path.of("/usr/local/pgsql/bin"),
            Path.of("/opt/homebrew/opt/postgresql@17/bin"), Path.of("/usr/local/opt/postgresql@17/bin"));
    private static final String INSTALL_HINT = "Install PostgreSQL server binaries: `apt-get install postgresql` "
            + "(Debian/Ubuntu) or `brew install postgresql@17` (macOS), or set the option binDir or the environment "
            + "variable " + ENV_VAR + " to the folder that holds " + String.join(", ", REQUIRED) + ".";

    private final Path binDir;

    private PostgresBinaries(Path binDir) {
        this.binDir = binDir;
    }

    /**
     * Finds the binaries, looking first at {@code binDir} when present (see the class description
     * for the search order).
     *
     * @throws PostgresToolsException listing every place looked at and how to install PostgreSQL
     */
    public static PostgresBinaries locate(Optional<Path> binDir) {
        return locate(binDir, System.getenv(), VERSIONED_ROOT, WELL_KNOWN);
    }

    /**
     * Finds a folder holding {@code executables} (for example the client tools {@code pg_dump}
     * and {@code pg_restore}), looking in the same places and order as {@link #locate(Optional)}.
     *
     * @throws PostgresToolsException listing every place looked at
     */
    public static PostgresBinaries locate(Optional<Path> binDir, List<String> executables) {
        return locate(binDir, System.getenv(), VERSIONED_ROOT, WELL_KNOWN, executables);
    }

    /** {@link #locate(Optional)} with the environment and the system folders given (for tests). */
    static PostgresBinaries locate(Optional<Path> binDir, Map<String, String> env, Path versionedRoot,
                                   List<Path> wellKnown) {
        return locate(binDir, env, versionedRoot, wellKnown, REQUIRED);
    }

    private static PostgresBinaries locate(Optional<Path> binDir, Map<String, String> env, Path versionedRoot,
                                           List<Path> wellKnown, List<String> required) {
        Objects.requireNonNull(binDir, "binDir");
        List<String> looked = new ArrayList<>();
        if (binDir.isPresent()) {
            return explicit(binDir.get().toAbsolutePath().normalize(), "option binDir", required);
        }
        String fromEnv = env.get(ENV_VAR);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return explicit(Path.of(fromEnv.strip()).toAbsolutePath().normalize(), "environment variable " + ENV_VAR, required);
        }
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path dir = Path.of(entry);
            if (missing(dir, required).isEmpty()) {
                return new PostgresBinaries(dir.toAbsolutePath().normalize());
            }
        }
        looked.add("PATH (" + (path.isBlank() ? "empty" : path) + ")");
        List<Path> versioned = versionedBinDirs(versionedRoot);
        for (Path dir : versioned) {
            List<String> missing = missing(dir, required);
            if (missing.isEmpty()) {
                return new PostgresBinaries(dir);
            }
            looked.add(dir + " (missing " + String.join(", ", missing) + ")");
        }
        if (versioned.isEmpty()) {
            looked.add(versionedRoot + "/<version>/bin (none)");
        }
        for (Path dir : wellKnown) {
            List<String> missing = missing(dir, required);
            if (missing.isEmpty()) {
                return new PostgresBinaries(dir);
            }
            looked.add(dir + (Files.isDirectory(dir) ? " (missing " + String.join(", ", missing) + ")" : " (no such folder)"));
        }
        throw new PostgresToolsException("PostgreSQL binaries (" + String.join(", ", required) + ") not found. Looked in: "
                + String.join("; ", looked) + ". " + INSTALL_HINT);
    }

    /** The folder holding the binaries; absolute. */
    public Path binDir() {
        return binDir;
    }

    /** The path of one executable in {@link #binDir()}, for example {@code executable("pg_ctl")}. */
    public Path executable(String name) {
        return binDir.resolve(name);
    }

    @Override
    public String toString() {
        return "PostgresBinaries[" + binDir + "]";
    }

    private static PostgresBinaries explicit(Path dir, String source, List<String> required) {
        List<String> missing = missing(dir, required);
        if (missing.isEmpty()) {
            return new PostgresBinaries(dir);
        }
        String problem = Files.isDirectory(dir) ? "lacks " + String.join(", ", missing) : "does not exist";
        throw new PostgresToolsException("PostgreSQL server binaries not found. Looked in: " + dir + " (from " + source
                + "), which " + problem + ". " + INSTALL_HINT);
    }

    private static List<String> missing(Path dir, List<String> required) {
        List<String> missing = new ArrayList<>();
        for (String name : required) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file) || !Files.isExecutable(file)) {
                missing.add(name);
            }
        }
        return missing;
    }

    /** {@code <root>/<version>/bin} folders, highest version first (numeric order: 16 before 9). */
    private static List<Path> versionedBinDirs(Path root) {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return dirs;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(root)) {
            for (Path child : children) {
                if (child.getFileName().toString().matches("\\d+(\\.\\d+)?") && Files.isDirectory(child.resolve("bin"))) {
                    dirs.add(child.resolve("bin"));
                }
            }
        } catch (IOException e) {
            return dirs;
        }
        dirs.sort(Comparator.comparingDouble((Path p) -> Double.parseDouble(p.getParent().getFileName().toString()))
                .reversed());
        return dirs;
    }
}
