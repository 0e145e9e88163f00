package io.reactivedb.backup;

import io.reactivedb.internal.cli.CommandLine;
import io.reactivedb.internal.cli.CommandLine.UsageException;
import io.reactivedb.config.EnvironmentSettings;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    public static final int OK = CommandLine.OK;
    public static final int FAILED = CommandLine.FAILED;
    public static final int USAGE = CommandLine.USAGE;
    public static final int CONFIGURATION = CommandLine.CONFIGURATION;
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
            "exit codes: 0 ok, 1 failed (also a verification that could not run), 2 usage error, 3 configuration error,"
                    + " 4 verification failed, 5 restore not confirmed");

    private static final CommandLine.Syntax SYNTAX = new CommandLine.Syntax(USAGE_TEXT, Set.of("--confirm"), Map.of("--into", "a database name"));

    private static final Duration WAIT = Duration.ofDays(1);

    private BackupCli() {
    }

    public static void main(String[] args) {
        CommandLine.quietLogging();
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command; returns the exit code. Never calls {@code System.exit}. */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return CommandLine.run(args, SYNTAX, out, err, Command::parse, command -> run(command, out, err, env));
    }

    private static int run(Command command, PrintStream out, PrintStream err, Map<String, String> env) {
        BackupService service = BackupService.fromEnvironment(env);
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
                if (result.outcome() == VerificationResult.Outcome.NOT_RUN) {
                    err.println("could not verify " + id + " (the backup was not marked failed): " + result.message());
                    return FAILED;
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
                            + "  " + b.lastVerification().map(v -> (v.passed() ? "verified " : "FAILED verification ") + v.at()).orElse("not verified")
                            + b.lastUnrunVerification().map(v -> "  (verification could not run " + v.at() + ")").orElse(""));
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

    /** A parsed command line. */
    static final class Command {
        final String name;
        final @Nullable String id;
        final @Nullable String into;
        final boolean confirm;

        private Command(CommandLine line, @Nullable String id) {
            this.name = line.command();
            this.id = id;
            this.into = line.value("--into");
            this.confirm = line.has("--confirm");
        }

        static Command parse(CommandLine line) throws UsageException {
            List<String> ids = line.arguments();
            switch (line.command()) {
                case "backup", "list", "prune" -> {
                    if (!ids.isEmpty() || line.hasOptions()) {
                        throw new UsageException(line.command() + " takes no arguments");
                    }
                    return new Command(line, null);
                }
                case "verify" -> {
                    if (ids.size() > 1 || line.hasOptions()) {
                        throw new UsageException("verify takes at most one backup id: verify [ID|latest]");
                    }
                    return new Command(line, ids.isEmpty() ? null : ids.get(0));
                }
                case "restore" -> {
                    if (ids.size() != 1) {
                        throw new UsageException("restore takes exactly one backup id: restore ID|latest [--into DB] --confirm");
                    }
                    return new Command(line, ids.get(0));
                }
                default -> throw new UsageException("unknown command '" + line.command() + "'");
            }
        }
    }
}
