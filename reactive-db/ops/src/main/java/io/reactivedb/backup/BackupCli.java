package io.reactivedb.backup;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Command line of the backups: reads the database from the environment exactly like the router
 * ({@link EnvironmentSettings}: {@code DATABASE_URL} or {@code DB_HOST}/{@code DB_PORT}/
 * {@code DB_NAME}/{@code DB_USER}, {@code DB_PASSWORD(_FILE)}, {@code DB_SSL*}) and the backup
 * settings from {@link BackupSettings#fromEnvironment(Map)}. Its terminal output is its job, so
 * this class (only) prints; it blocks, as a command line may.
 *
 * <p>Exit codes: 0 ok, 1 failed, 2 usage error, 3 configuration error, 4 verification failed,
 * 5 restore not confirmed (nothing changed).
 */
public final class BackupCli {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int CONFIGURATION = 3;
    public static final int VERIFICATION_FAILED = 4;
    public static final int NOT_CONFIRMED = 5;

    static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "usage: backup <command> [options]",
            "commands:",
            "  backup                               dump the configured database (progress every 10 s), then apply retention",
            "  verify [ID|latest]                   checksum, decrypt, restore into a scratch database, compare row counts",
            "                                       (default and `latest`: the newest regular backup of the configured database)",
            "  list                                 backups in BACKUP_DIR, newest first, with their last verification",
            "  restore ID|latest [--into DB] --confirm",
            "                                       replace database DB (default: the configured one) with the backup,",
            "                                       after a pre-restore backup of it; refuses without --confirm",
            "  prune                                delete backups older than BACKUP_RETENTION_DAYS (keeps the newest verified one)",
            "The database comes from DATABASE_URL or DB_HOST/DB_PORT/DB_NAME/DB_USER and DB_PASSWORD(_FILE), as for the application;",
            "BACKUP_DIR (default ./backups), BACKUP_RETENTION_DAYS (7), BACKUP_ENCRYPTION_KEY (base64 of 32 bytes; unset: not encrypted).",
            "exit codes: 0 ok, 1 failed, 2 usage error, 3 configuration error, 4 verification failed, 5 restore not confirmed");

    private static final Duration WAIT = Duration.ofDays(1);

    private BackupCli() {
    }

    public static void main(String[] args) {
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command; returns the exit code. Never calls {@code System.exit}. */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        Command command;
        try {
            command = Command.parse(args);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        if (command.name.equals("help")) {
            out.println(USAGE_TEXT);
            return OK;
        }
        BackupService service;
        try {
            service = BackupService.fromEnvironment(env);
        } catch (ConfigurationException e) {
            err.println("configuration error: " + e.getMessage());
            return CONFIGURATION;
        }
        try {
            return execute(command, service, out, err);
        } catch (RestoreNotConfirmedException e) {
            err.println("refused: " + e.getMessage());
            return NOT_CONFIRMED;
        } catch (BackupException e) {
            err.println("failed: " + e.getMessage());
            return FAILED;
        } catch (RuntimeException e) {
            err.println("failed: " + e);
            return FAILED;
        }
    }

    private static int execute(Command command, BackupService service, PrintStream out, PrintStream err) {
        switch (command.name) {
            case "backup" -> {
                service.backupWithProgress().doOnNext(event -> {
                    if (event instanceof BackupEvent.Started started) {
                        out.println("backing up " + started.database() + " as " + started.backupId() + " (" + started.tableRows().size() + " tables)");
                    } else if (event instanceof BackupEvent.Progress p) {
                        out.println("  " + BackupService.bytes(p.dumpBytes()) + " dumped, " + BackupService.bytes(p.writtenBytes()) + " written after "
                                + p.elapsed().toSeconds() + " s");
                    } else if (event instanceof BackupEvent.Completed done) {
                        print(done.backup(), out);
                    }
                }).blockLast(WAIT);
                return OK;
            }
            case "verify" -> {
                String id = resolve(command.id, service);
                VerificationResult result = service.verify(id).block(WAIT);
                if (result == null) {
                    throw new BackupException("verification of " + id + " returned nothing");
                }
                if (result.passed()) {
                    out.println("verified " + id + ": " + result.message() + " (" + result.took().toMillis() + " ms)");
                    return OK;
                }
                err.println("verification of " + id + " FAILED: " + result.message());
                result.mismatches().forEach(line -> err.println("  " + line));
                return VERIFICATION_FAILED;
            }
            case "list" -> {
                List<BackupMetadata> backups = service.list().collectList().block(WAIT);
                if (backups == null || backups.isEmpty()) {
                    out.println("no backups in " + service.settings().directory());
                    return OK;
                }
                for (BackupMetadata b : backups) {
                    out.println(b.id() + "  " + b.createdAt() + "  " + b.database() + "  " + BackupService.bytes(b.sizeBytes())
                            + (b.encrypted() ? "  encrypted" : "") + (b.kind() == BackupMetadata.Kind.PRE_RESTORE ? "  pre-restore" : "")
                            + "  " + b.lastVerification().map(v -> (v.passed() ? "verified " : "FAILED verification ") + v.at()).orElse("not verified"));
                }
                return OK;
            }
            case "restore" -> {
                String id = resolve(command.id, service);
                String target = command.into != null ? command.into : service.database();
                RestoreReport report = service.restore(id, target, command.confirm).block(WAIT);
                if (report == null) {
                    throw new BackupException("restore of " + id + " returned nothing");
                }
                out.println(report.describe());
                return OK;
            }
            case "prune" -> {
                PruneReport report = service.prune().block(WAIT);
                if (report == null) {
                    throw new BackupException("prune returned nothing");
                }
                report.deleted().forEach(id -> out.println("deleted " + id));
                out.println("prune: " + report.deleted().size() + " deleted, " + report.kept().size() + " kept"
                        + (report.partsDeleted() > 0 ? ", " + report.partsDeleted() + " interrupted leftovers removed" : ""));
                return OK;
            }
            default -> throw new IllegalStateException("unhandled command " + command.name);
        }
    }

    private static String resolve(@Nullable String id, BackupService service) {
        if (id != null && !id.equals("latest")) {
            return id;
        }
        BackupMetadata latest = service.latest().block(WAIT);
        if (latest == null) {
            throw new BackupException("no backup of " + service.database() + " in " + service.settings().directory());
        }
        return latest.id();
    }

    private static void print(BackupMetadata b, PrintStream out) {
        long rows = b.tableRows().values().stream().mapToLong(Long::longValue).sum();
        out.println("backup " + b.id() + ": " + b.file() + ", " + BackupService.bytes(b.sizeBytes()) + " (" + BackupService.bytes(b.dumpBytes())
                + " archive), " + b.tableRows().size() + " tables, " + rows + " rows, " + (b.encrypted() ? "encrypted" : "not encrypted")
                + ", sha256 " + b.sha256() + ", " + b.took().toMillis() + " ms");
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** A parsed command line. */
    static final class Command {
        String name = "";
        @Nullable String id;
        @Nullable String into;
        boolean confirm;

        static Command parse(String[] args) throws UsageException {
            if (args.length == 0) {
                throw new UsageException("no command given");
            }
            Command c = new Command();
            c.name = args[0];
            List<String> positional = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                String arg = args[i];
                switch (arg) {
                    case "--confirm" -> c.confirm = true;
                    case "--into" -> {
                        if (++i >= args.length || args[i].isBlank() || args[i].startsWith("--")) {
                            throw new UsageException("--into needs a database name");
                        }
                        c.into = args[i];
                    }
                    default -> {
                        if (arg.startsWith("-")) {
                            throw new UsageException("unknown option " + arg);
                        }
                        positional.add(arg);
                    }
                }
            }
            switch (c.name) {
                case "help", "--help", "-h" -> c.name = "help";
                case "backup", "list", "prune" -> {
                    if (!positional.isEmpty() || c.confirm || c.into != null) {
                        throw new UsageException(c.name + " takes no arguments");
                    }
                }
                case "verify" -> {
                    if (positional.size() > 1 || c.confirm || c.into != null) {
                        throw new UsageException("verify takes at most one backup id: verify [ID|latest]");
                    }
                    c.id = positional.isEmpty() ? null : positional.get(0);
                }
                case "restore" -> {
                    if (positional.size() != 1) {
                        throw new UsageException("restore takes exactly one backup id: restore ID|latest [--into DB] --confirm");
                    }
                    c.id = positional.get(0);
                }
                default -> throw new UsageException("unknown command '" + c.name + "'");
            }
            return c;
        }
    }
}
