package io.reactivedb.migrations;

import java.io.PrintStream;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.reactivedb.internal.cli.CommandLine;
import io.reactivedb.internal.cli.CommandLine.UsageException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.ReactiveDbSettings;

/**
 * Command line of the migrations: reads the database from the environment exactly like the router
 * ({@link EnvironmentSettings}) and runs against the primary. Its terminal output is its job, so
 * this class (only) prints.
 *
 * <p>Exit codes: 0 ok, 1 migration failed, 2 usage error, 3 configuration error, 4 change sets
 * pending ({@code status} or {@code validate} with {@code --fail-on-pending}).
 */
public final class MigrationCli {

    public static final int OK = CommandLine.OK;
    public static final int FAILED = CommandLine.FAILED;
    public static final int USAGE = CommandLine.USAGE;
    public static final int CONFIGURATION = CommandLine.CONFIGURATION;
    public static final int PENDING = 4;

    static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "usage: migrations <command> [options]",
            "commands:",
            "  update [--count N] [--dry-run]   apply pending change sets (all, or the next N); --dry-run prints the SQL and changes nothing",
            "  rollback --count N               roll back the last N applied change sets",
            "  rollback --to-tag T              roll back every change set applied after tag T",
            "  tag T                            tag the last applied change set",
            "  status [--fail-on-pending]       current version, pending change sets, last applied time",
            "  validate [--fail-on-pending]     check the changelog and the checksums of applied change sets",
            "  history                          applied change sets in order",
            "  release-locks                    release a Liquibase lock left behind by a killed process",
            "The database comes from DATABASE_URL or DB_HOST/DB_PORT/DB_NAME/DB_USER and DB_PASSWORD(_FILE), as for the application.",
            "exit codes: 0 ok, 1 migration failed, 2 usage error, 3 configuration error, 4 pending change sets (--fail-on-pending)");

    private static final CommandLine.Syntax SYNTAX = new CommandLine.Syntax(USAGE_TEXT, Set.of("--dry-run", "--fail-on-pending"),
            Map.of("--count", "a value", "--to-tag", "a value"));

    private MigrationCli() {
    }

    public static void main(String[] args) {
        // The CLI ships without an SLF4J provider (its output is its own).
        CommandLine.quietLogging();
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** Runs one command; returns the exit code. Never calls {@code System.exit}. */
    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return CommandLine.run(args, SYNTAX, out, err, Command::parse, command -> run(command, out, err, env));
    }

    private static int run(Command command, PrintStream out, PrintStream err, Map<String, String> env) {
        ReactiveDbSettings settings = EnvironmentSettings.migrationSettings(env, EnvironmentSettings.parse(env));
        MigrationRunner runner = MigrationRunner.create(settings).withListener(new MigrationListener() {
            @Override
            public void applied(ChangeSetRef changeSet, Duration took) {
                out.println("applied " + changeSet.shortName() + " (" + took.toMillis() + " ms)");
            }

            @Override
            public void markedRan(ChangeSetRef changeSet) {
                out.println("marked as ran " + changeSet.shortName() + " (its precondition was not met; nothing was run)");
            }

            @Override
            public void rolledBack(ChangeSetRef changeSet, Duration took) {
                out.println("rolled back " + changeSet.shortName() + " (" + took.toMillis() + " ms)");
            }
        });
        try {
            return execute(command, runner, out);
        } catch (MigrationException e) {
            err.println("migration failed: " + e.getMessage());
            return FAILED;
        }
    }

    private static int execute(Command command, MigrationRunner runner, PrintStream out) {
        switch (command.name) {
            case "update" -> {
                if (command.dryRun) {
                    StringWriter sql = new StringWriter();
                    runner.updateSql(sql);
                    out.print(sql);
                    out.println("-- dry run: nothing was changed");
                    return OK;
                }
                List<ChangeSetRef> applied = command.count == null ? runner.update() : runner.update(command.count);
                out.println("update: " + applied.size() + " change set(s) applied on " + runner.target().describe());
                return OK;
            }
            case "rollback" -> {
                List<ChangeSetRef> undone = command.count != null ? runner.rollbackCount(command.count) : runner.rollbackToTag(command.argument());
                out.println("rollback: " + undone.size() + " change set(s) rolled back on " + runner.target().describe());
                return OK;
            }
            case "tag" -> {
                runner.tag(command.argument());
                out.println("tagged the last applied change set '" + command.argument() + "'");
                return OK;
            }
            case "status" -> {
                MigrationStatus status = runner.status();
                printStatus(status, out);
                return command.failOnPending && !status.upToDate() ? PENDING : OK;
            }
            case "validate" -> {
                runner.validate();
                out.println("valid: changelog parses and every applied checksum matches");
                if (command.failOnPending) {
                    MigrationStatus status = runner.status();
                    if (!status.upToDate()) {
                        printStatus(status, out);
                        return PENDING;
                    }
                }
                return OK;
            }
            case "history" -> {
                List<AppliedChangeSet> history = runner.history();
                if (history.isEmpty()) {
                    out.println("no change set applied");
                }
                for (AppliedChangeSet row : history) {
                    out.println(row.orderExecuted() + "  " + row.executedAt() + "  " + row.execType() + "  " + row.changeSet()
                            + row.tag().map(tag -> "  [tag " + tag + "]").orElse(""));
                }
                return OK;
            }
            case "release-locks" -> {
                Optional<String> holder = runner.releaseLocks();
                out.println(holder.map(h -> "released the changelog lock held by " + h).orElse("the changelog lock was not held"));
                return OK;
            }
            default -> throw new IllegalStateException("unhandled command " + command.name);
        }
    }

    private static void printStatus(MigrationStatus status, PrintStream out) {
        out.println("version: " + status.currentVersion().orElse("(none applied)"));
        out.println("applied: " + status.applied());
        out.println("last applied: " + status.lastApplied().map(Object::toString).orElse("never"));
        out.println("pending: " + status.pendingCount());
        status.pending().forEach(changeSet -> out.println("  " + changeSet));
    }

    /** A parsed command line. */
    private static final class Command {
        final String name;
        final @Nullable Integer count;
        final @Nullable String toTag;
        final @Nullable String tag;
        final boolean dryRun;
        final boolean failOnPending;

        private Command(CommandLine line, @Nullable String tag) throws UsageException {
            this.name = line.command();
            this.count = line.positiveInt("--count");
            this.toTag = line.value("--to-tag");
            this.tag = tag;
            this.dryRun = line.has("--dry-run");
            this.failOnPending = line.has("--fail-on-pending");
        }

        String argument() {
            String value = toTag != null ? toTag : tag;
            if (value == null) {
                throw new IllegalStateException("no tag parsed");
            }
            return value;
        }

        static Command parse(CommandLine line) throws UsageException {
            List<String> positional = line.arguments();
            Command c = new Command(line, positional.size() == 1 ? positional.get(0) : null);
            switch (c.name) {
                case "update" -> {
                    only(positional, c.toTag == null && !c.failOnPending, "update takes only --count N and --dry-run");
                    if (c.dryRun && c.count != null) {
                        throw new UsageException("update --dry-run prints all pending change sets; it does not take --count");
                    }
                }
                case "rollback" -> {
                    only(positional, !c.dryRun && !c.failOnPending, "rollback takes --count N or --to-tag T");
                    if ((c.count == null) == (c.toTag == null)) {
                        throw new UsageException("rollback needs exactly one of --count N and --to-tag T");
                    }
                }
                case "tag" -> {
                    if (positional.size() != 1 || line.hasOptions()) {
                        throw new UsageException("tag takes exactly one tag name: tag T");
                    }
                }
                case "status", "validate" -> only(positional, c.count == null && c.toTag == null && !c.dryRun,
                        c.name + " takes only --fail-on-pending");
                case "history", "release-locks" -> only(positional, !line.hasOptions(), c.name + " takes no options");
                default -> throw new UsageException("unknown command '" + c.name + "'");
            }
            return c;
        }

        private static void only(List<String> positional, boolean optionsOk, String message) throws UsageException {
            if (!positional.isEmpty()) {
                throw new UsageException("unexpected argument '" + positional.get(0) + "': " + message);
            }
            if (!optionsOk) {
                throw new UsageException(message);
            }
        }
    }
}
