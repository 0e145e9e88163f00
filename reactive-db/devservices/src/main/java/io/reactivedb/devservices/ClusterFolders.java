package io.reactivedb.devservices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster folders: {@code <baseDir>/cluster-<timestamp>-<pid>} with an {@value #OWNER_FILE} file
 * naming the JVM that owns it, and the cleanup of folders whose owner is gone.
 */
final class ClusterFolders {

    static final String CLUSTER_PREFIX = "cluster-";
    static final String NODE_PREFIX = "node-";
    static final String OWNER_FILE = "owner.pid";
    /** Used when running as root and the postgres OS user cannot write into the configured base folder. */
    static final Path FALLBACK_BASE_DIR = Path.of("/tmp/reactive-db-devservices");

    private static final Logger LOG = LoggerFactory.getLogger(ClusterFolders.class);
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    /** A folder without a readable owner file is only treated as stale once it is this old. */
    private static final Duration OWNERLESS_GRACE = Duration.ofMinutes(5);

    private ClusterFolders() {
    }

    /**
     * Creates a fresh cluster folder with its owner file, usable by the server user, under
     * {@code baseDir} or, when running as root and the server user cannot write there, under
     * {@link #FALLBACK_BASE_DIR}. Blocks briefly (one permission probe when running as root).
     */
    static Path create(Path baseDir, ProcessRunner runner) {
        Path dir = createUnder(baseDir, runner);
        if (runner.serverUserCanWrite(dir)) {
            return dir;
        }
        deleteTree(dir);
        LOG.info("The {} OS user cannot write into {} (a parent folder is closed to it); using {} instead",
                ProcessRunner.SERVER_USER, baseDir, FALLBACK_BASE_DIR);
        Path fallback = createUnder(FALLBACK_BASE_DIR, runner);
        runner.chownToServerUser(FALLBACK_BASE_DIR);
        if (!runner.serverUserCanWrite(fallback)) {
            deleteTree(fallback);
            throw new DevServicesException("the " + ProcessRunner.SERVER_USER + " OS user can write neither into "
                    + baseDir + " nor into " + FALLBACK_BASE_DIR + "; set the option baseDir to a folder it can reach");
        }
        return fallback;
    }

    private static Path createUnder(Path baseDir, ProcessRunner runner) {
        long pid = ProcessHandle.current().pid();
        try {
            Files.createDirectories(baseDir);
            String stem = CLUSTER_PREFIX + LocalDateTime.now().format(TIMESTAMP) + "-" + pid;
            for (int attempt = 0; ; attempt++) {
                Path dir = baseDir.resolve(attempt == 0 ? stem : stem + "-" + attempt);
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (FileAlreadyExistsException e) {
                    continue;
                }
                Files.writeString(dir.resolve(OWNER_FILE), pid + "\n", StandardCharsets.UTF_8);
                runner.chownToServerUser(dir);
                return dir;
            }
        } catch (IOException e) {
            throw new DevServicesException("could not create a cluster folder under " + baseDir + ": " + e, e);
        }
    }

    /**
     * Removes every {@code cluster-*} folder under {@code baseDir} whose owner JVM is no longer
     * alive, after stopping any server still running from its node folders. Folders of live JVMs
     * are left alone. Never throws; blocks while stale servers stop.
     */
    static void removeStale(Path baseDir, PgControl control) {
        if (!Files.isDirectory(baseDir)) {
            return;
        }
        List<Path> clusters = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(baseDir, CLUSTER_PREFIX + "*")) {
            children.forEach(clusters::add);
        } catch (IOException e) {
            LOG.warn("Could not list {} to remove stale dev clusters: {}", baseDir, e.toString());
            return;
        }
        for (Path cluster : clusters) {
            try {
                if (Files.isDirectory(cluster) && isStale(cluster)) {
                    LOG.info("Removing stale dev cluster {} (its owner JVM is gone)", cluster);
                    stopNodes(cluster, control, "immediate");
                    deleteTree(cluster);
                }
            } catch (RuntimeException e) {
                LOG.warn("Could not remove stale dev cluster {}: {}", cluster, e.toString());
            }
        }
    }

    /** {@link #removeStale(Path, PgControl)} under {@code baseDir} and under {@link #FALLBACK_BASE_DIR}. */
    static void removeStaleEverywhere(Path baseDir, PgControl control) {
        removeStale(baseDir, control);
        if (!baseDir.equals(FALLBACK_BASE_DIR)) {
            removeStale(FALLBACK_BASE_DIR, control);
        }
    }

    /** Stops every server of {@code cluster} ({@code -m fast}) and deletes its folder. */
    static void destroy(Path cluster, PgControl control) {
        stopNodes(cluster, control, "fast");
        deleteTree(cluster);
    }

    /**
     * Stops every PgBouncer the cluster folder has a pid file of, then every server running from
     * a node folder of {@code cluster}, replicas first. Never throws.
     */
    static void stopNodes(Path cluster, PgControl control, String mode) {
        DevPgBouncer.stopAll(cluster);
        for (Path node : nodeDirs(cluster)) {
            if (!control.stopQuietly(node, mode)) {
                LOG.warn("A server may still run from {}", node);
            }
        }
    }

    /** Node folders, highest index first (replicas before the primary). */
    static List<Path> nodeDirs(Path cluster) {
        List<Path> nodes = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(cluster, NODE_PREFIX + "*")) {
            for (Path child : children) {
                if (Files.isDirectory(child) && child.getFileName().toString().matches(NODE_PREFIX + "\\d+")) {
                    nodes.add(child);
                }
            }
        } catch (IOException e) {
            return nodes;
        }
        nodes.sort(Comparator.comparingInt((Path p) -> Integer.parseInt(
                p.getFileName().toString().substring(NODE_PREFIX.length()))).reversed());
        return nodes;
    }

    static boolean isStale(Path cluster) {
        Optional<Long> owner = owner(cluster);
        if (owner.isPresent()) {
            return !PgControl.isLive(owner.get());
        }
        try {
            Instant modified = Files.getLastModifiedTime(cluster).toInstant();
            return modified.isBefore(Instant.now().minus(OWNERLESS_GRACE));
        } catch (IOException e) {
            return false;
        }
    }

    static Optional<Long> owner(Path cluster) {
        try {
            return Optional.of(Long.parseLong(Files.readString(cluster.resolve(OWNER_FILE), StandardCharsets.UTF_8).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Deletes a folder tree; files that vanish meanwhile are ignored. */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new DevServicesException("could not delete " + root + ": " + e, e);
        }
    }
}
