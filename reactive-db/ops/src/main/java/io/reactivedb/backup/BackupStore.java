package io.reactivedb.backup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup folder: per backup a data file, {@code <id>.sha256} and {@code <id>.json}. Blocking
 * file work: call it on {@code Schedulers.boundedElastic()} only. Files are written under a
 * temporary name and moved into place, so a reader never sees half a file.
 */
final class BackupStore {

    static final String PARTIAL = ".partial";
    private static final Logger log = LoggerFactory.getLogger(BackupStore.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    private final Path directory;

    /*
     * A dump holds the database's data (in the clear unless encrypted) and the metadata names
     * every table with its row count: files owner-only, created so (never chmod-ed after being
     * readable), and a folder we create owner-only too. An existing folder keeps its mode.
     */
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final FileAttribute<?>[] OWNER_ONLY_FILE = POSIX
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
            : new FileAttribute<?>[0];
    private static final FileAttribute<?>[] OWNER_ONLY_FOLDER = POSIX
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
            : new FileAttribute<?>[0];

    /** The attributes a backup file is created with: 0600 where the file system has POSIX modes. */
    static FileAttribute<?>[] ownerOnlyFile() {
        return OWNER_ONLY_FILE.clone();
    }

    BackupStore(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    void ensureDirectory() {
        try {
            Files.createDirectories(directory, OWNER_ONLY_FOLDER);
        } catch (IOException e) {
            throw new BackupException("cannot create the backup folder " + directory + " (BACKUP_DIR): " + e.getMessage(), e);
        }
    }

    /** A new backup id for {@code database} at {@code at}, unused in the folder. */
    String newId(String database, Instant at) {
        String base = database.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + STAMP.format(at);
        String id = base;
        for (int n = 2; Files.exists(metadataFile(id)) || Files.exists(directory.resolve(dataFileName(id, false) + PARTIAL))
                || Files.exists(directory.resolve(dataFileName(id, true) + PARTIAL)); n++) {
            id = base + "-" + n;
        }
        return id;
    }

    static String dataFileName(String id, boolean encrypted) {
        return id + (encrypted ? ".pgdump.gz.enc" : ".pgdump.gz");
    }

    Path dataFile(BackupMetadata backup) {
        return directory.resolve(backup.file());
    }

    Path checksumFile(String id) {
        return directory.resolve(id + ".sha256");
    }

    Path metadataFile(String id) {
        return directory.resolve(id + ".json");
    }

    /** Every readable backup, newest first; metadata that cannot be read is logged and left out. */
    List<BackupMetadata> list() {
        List<BackupMetadata> backups = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return backups;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.json")) {
            for (Path file : files) {
                try {
                    backups.add(BackupMetadata.fromJson(Files.readString(file, StandardCharsets.UTF_8)));
                } catch (IOException | RuntimeException e) {
                    log.warn("Skipping unreadable backup metadata {}: {}", file, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new BackupException("cannot list the backup folder " + directory + ": " + e.getMessage(), e);
        }
        backups.sort(Comparator.comparing(BackupMetadata::createdAt).thenComparing(BackupMetadata::id).reversed());
        return backups;
    }

    Optional<BackupMetadata> find(String id) {
        Path file = metadataFile(id);
        if (id.contains("/") || id.contains("\\") || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(BackupMetadata.fromJson(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new BackupException("cannot read the metadata of backup " + id + " (" + file + "): " + e.getMessage(), e);
        }
    }

    /** @throws BackupException when there is no such backup */
    BackupMetadata get(String id) {
        return find(id).orElseThrow(() -> new BackupException("no backup '" + id + "' in " + directory));
    }

    /** Writes the metadata and the checksum file. */
    void write(BackupMetadata backup) {
        writeAtomically(checksumFile(backup.id()), backup.sha256() + "  " + backup.file() + "\n");
        writeAtomically(metadataFile(backup.id()), backup.toJson());
    }

    void writeMetadata(BackupMetadata backup) {
        writeAtomically(metadataFile(backup.id()), backup.toJson());
    }

    /** The hex SHA-256 recorded in {@code <id>.sha256}, or empty when that file is missing. */
    Optional<String> recordedChecksum(String id) {
        Path file = checksumFile(id);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            int space = text.indexOf(' ');
            return Optional.of(space < 0 ? text : text.substring(0, space));
        } catch (IOException e) {
            throw new BackupException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    void delete(BackupMetadata backup) {
        try {
            // Metadata last: a backup without metadata is invisible, one without data would look restorable.
            Files.deleteIfExists(dataFile(backup));
            Files.deleteIfExists(checksumFile(backup.id()));
            Files.deleteIfExists(metadataFile(backup.id()));
        } catch (IOException e) {
            throw new BackupException("cannot delete backup " + backup.id() + ": " + e.getMessage(), e);
        }
    }

    /** Leftovers of interrupted backups last modified before {@code before}. */
    List<Path> staleParts(Instant before) {
        List<Path> parts = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return parts;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + PARTIAL)) {
            for (Path file : files) {
                if (Files.getLastModifiedTime(file).toInstant().isBefore(before)) {
                    parts.add(file);
                }
            }
        } catch (IOException e) {
            throw new BackupException("cannot list the backup folder " + directory + ": " + e.getMessage(), e);
        }
        return parts;
    }

    private void writeAtomically(Path target, String text) {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temp);
            Files.createFile(temp, OWNER_ONLY_FILE);
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            PgTools.deleteQuietly(temp);
            throw new BackupException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
