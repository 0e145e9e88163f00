package io.reactivedb.devservices;

import io.reactivedb.tools.PostgresBinaries;
import io.reactivedb.tools.PostgresToolsException;

import io.reactivedb.config.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The PostgreSQL command-line tools, each run with a bounded wait. All methods block. */
final class PgControl {

    static final String PID_FILE = "postmaster.pid";

    private static final Logger LOG = LoggerFactory.getLogger(PgControl.class);
    /** Extra time a process gets beyond the {@code -t} it passes to pg_ctl. */
    private static final Duration PG_CTL_MARGIN = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private final PostgresBinaries binaries;
    private final ProcessRunner runner;

    PgControl(PostgresBinaries binaries, ProcessRunner runner) {
        this.binaries = binaries;
        this.runner = runner;
    }

    /** The tools of {@link PostgresBinaries#locate}, run as the current user (or as the server user when root). */
    static PgControl locate(Optional<Path> binDir) {
        try {
            return new PgControl(PostgresBinaries.locate(binDir), ProcessRunner.forCurrentUser());
        } catch (PostgresToolsException e) {
            throw new DevServicesException(e.getMessage(), e);
        }
    }

    ProcessRunner runner() {
        return runner;
    }

    /** The first line {@code postgres --version} prints, for example {@code postgres (PostgreSQL) 15.18}. */
    String serverVersion() {
        ProcessRunner.Result result = runner.run(ProcessRunner.Invocation.of(Duration.ofSeconds(30),
                List.of(exe("postgres"), "--version")));
        return result.stdout().strip().lines().findFirst().orElse("(unknown version)");
    }

    void initdb(Path dataDir, Path passwordFile, Duration timeout) {
        runner.run(server(timeout, List.of(exe("initdb"), "-D", dataDir.toString(), "-U", DevCluster.SUPERUSER,
                "-E", "UTF8", "--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--pwfile=" + passwordFile), dataDir));
    }

    ProcessRunner.Result attemptStart(Path dataDir, Path logFile, Duration timeout) {
        return runner.attempt(pgCtl(timeout, dataDir, "-l", logFile.toString(), "start"));
    }

    void start(Path dataDir, Path logFile, Duration timeout) {
        check(attemptStart(dataDir, logFile, timeout), logFile);
    }

    void stop(Path dataDir, String mode, Duration timeout, Path logFile) {
        check(runner.attempt(pgCtl(timeout, dataDir, "-m", mode, "stop")), logFile);
    }

    void restart(Path dataDir, Path logFile, Duration timeout) {
        check(runner.attempt(pgCtl(timeout, dataDir, "-m", "fast", "-l", logFile.toString(), "restart")), logFile);
    }

    void promote(Path dataDir, Path logFile, Duration timeout) {
        check(runner.attempt(pgCtl(timeout, dataDir, "promote")), logFile);
    }

    /** {@code pg_ctl status}: true when a server runs from {@code dataDir}. */
    boolean isRunning(Path dataDir) {
        if (!Files.isDirectory(dataDir)) {
            return false;
        }
        return runner.attempt(server(Duration.ofSeconds(15),
                List.of(exe("pg_ctl"), "status", "-D", dataDir.toString()), dataDir)).succeeded();
    }

    void basebackup(int primaryPort, Path dataDir, String slot, Duration timeout) {
        runner.run(server(timeout, List.of(exe("pg_basebackup"), "-h", DevCluster.HOST, "-p",
                Integer.toString(primaryPort), "-U", DevCluster.REPLICATION_USER, "-D", dataDir.toString(), "-R",
                "-X", "stream", "-C", "-S", slot, "-c", "fast", "--no-sync", "-w"), dataDir));
    }

    /** Runs one SQL command as the superuser; returns trimmed stdout. The password travels in PGPASSWORD. */
    String psql(int port, String database, String sql, Secret password, Duration timeout) {
        return runner.run(psqlInvocation(port, database, password, timeout, List.of("-c", sql))).stdout().strip();
    }

    /** Like {@link #psql}, but without failing on a non-zero exit code (for polling). */
    ProcessRunner.Result attemptPsql(int port, String database, String sql, Secret password, Duration timeout) {
        return runner.attempt(psqlInvocation(port, database, password, timeout, List.of("-c", sql)));
    }

    /** Runs a script read from stdin, so that statements with secrets never reach a command line. */
    void psqlScript(int port, String database, String script, Secret password, Duration timeout) {
        runner.run(psqlInvocation(port, database, password, timeout, List.of("-f", "-")).withStdin(script));
    }

    /**
     * Stops whatever server runs from {@code dataDir}: {@code pg_ctl stop -m <mode>}, then
     * {@code -m immediate}, then SIGKILL of the pid in {@code postmaster.pid} if that process is
     * alive and is a postgres process. Never throws; returns whether no server is left.
     */
    boolean stopQuietly(Path dataDir, String firstMode) {
        if (!Files.exists(dataDir.resolve(PID_FILE))) {
            return true;
        }
        // A paused server (pause) takes no signal but SIGKILL until it continues.
        resume(dataDir);
        List<String> modes = firstMode.equals("immediate") ? List.of("immediate") : List.of(firstMode, "immediate");
        for (String mode : modes) {
            try {
                ProcessRunner.Result result = runner.attempt(pgCtl(STOP_TIMEOUT, dataDir, "-m", mode, "stop"));
                if (result.succeeded()) {
                    return true;
                }
                LOG.debug("`{}` failed: {}", result.command(), result.outputTail());
            } catch (DevServicesException e) {
                LOG.debug("Stopping {} with -m {} failed: {}", dataDir, mode, e.getMessage());
            }
        }
        return killPostmaster(dataDir);
    }

    /**
     * Stops ({@code SIGSTOP}) the server running from {@code dataDir}, its postmaster first (so it
     * forks nothing new), then every process below it: the server hangs as a machine that stopped
     * answering would, with its sockets open.
     *
     * @throws DevServicesException when no server runs from {@code dataDir}
     */
    void pause(Path dataDir) {
        ProcessHandle postmaster = postmaster(dataDir).orElseThrow(() -> new DevServicesException("no server runs from " + dataDir));
        signal("STOP", List.of(postmaster));
        signal("STOP", postmaster.descendants().toList());
    }

    /** Continues ({@code SIGCONT}) the server running from {@code dataDir} and every process below it; nothing when none runs. */
    void resume(Path dataDir) {
        postmaster(dataDir).ifPresent(postmaster -> {
            List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
            all.add(postmaster);
            signal("CONT", all);
        });
    }

    private void signal(String signal, List<ProcessHandle> processes) {
        if (processes.isEmpty()) {
            return;
        }
        List<String> args = new ArrayList<>(List.of("kill", "-s", signal, "--"));
        processes.forEach(process -> args.add(Long.toString(process.pid())));
        // A backend may exit between the listing and the signal: kill then fails for that pid only.
        ProcessRunner.Result result = runner.attempt(ProcessRunner.Invocation.of(STOP_TIMEOUT, args));
        if (!result.succeeded()) {
            LOG.debug("`{}` failed for some process: {}", result.command(), result.outputTail());
        }
    }

    /** SIGKILL to the postmaster named in {@code postmaster.pid}, if it is alive and a postgres process. */
    boolean killPostmaster(Path dataDir) {
        Optional<ProcessHandle> postmaster = postmaster(dataDir);
        if (postmaster.isEmpty()) {
            return true;
        }
        ProcessHandle handle = postmaster.get();
        LOG.info("Killing postmaster {} of {}", handle.pid(), dataDir);
        handle.destroyForcibly();
        long end = System.nanoTime() + KILL_WAIT.toNanos();
        while (isLive(handle.pid())) {
            if (System.nanoTime() - end > 0) {
                LOG.warn("Postmaster {} of {} did not exit within {} after SIGKILL", handle.pid(), dataDir,
                        Texts.seconds(KILL_WAIT));
                return false;
            }
            try {
                // Dev-services lifecycle code (cluster set-up and clean-up on a test or CLI thread),
                // blocking by contract and never on a request path: polling a process's exit.
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /**
     * Whether process {@code pid} exists and is not a zombie. An exited postmaster is re-parented
     * to init and stays a zombie until init reaps it, which some container inits do late.
     */
    static boolean isLive(long pid) {
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            int end = stat.lastIndexOf(')');
            return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return true; // no /proc (macOS) or the process just vanished: trust ProcessHandle
        }
    }

    /** The live postgres process named by the first line of {@code postmaster.pid}, if any. */
    static Optional<ProcessHandle> postmaster(Path dataDir) {
        Path pidFile = dataDir.resolve(PID_FILE);
        long pid;
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            pid = Long.parseLong(lines.get(0).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(handle -> isLive(handle.pid())).filter(PgControl::isPostgresProcess);
    }

    private static boolean isPostgresProcess(ProcessHandle handle) {
        Optional<String> command = handle.info().command();
        if (command.isEmpty()) {
            // Not visible (another user, no /proc): do not risk killing an unrelated process.
            return false;
        }
        String file = Path.of(command.get()).getFileName().toString();
        return file.equals("postgres") || file.equals("postmaster");
    }

    private ProcessRunner.Invocation psqlInvocation(int port, String database, Secret password, Duration timeout,
                                                    List<String> tail) {
        List<String> args = new ArrayList<>(List.of(exe("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", DevCluster.HOST, "-p", Integer.toString(port), "-U", DevCluster.SUPERUSER, "-d", database));
        args.addAll(tail);
        return ProcessRunner.Invocation.of(timeout, args)
                .withEnv(Map.of("PGPASSWORD", password.reveal(), "PGCONNECT_TIMEOUT", "5"));
    }

    private ProcessRunner.Invocation pgCtl(Duration timeout, Path dataDir, String... action) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        List<String> args = new ArrayList<>(List.of(exe("pg_ctl"), "-D", dataDir.toString(), "-w", "-t",
                Long.toString(seconds)));
        args.addAll(List.of(action));
        return server(timeout.plus(PG_CTL_MARGIN), args, dataDir);
    }

    private ProcessRunner.Invocation server(Duration timeout, List<String> args, Path dataDir) {
        Path workDir = dataDir.getParent();
        return ProcessRunner.Invocation.of(timeout, args).asServerUser(workDir);
    }

    private static void check(ProcessRunner.Result result, Path logFile) {
        if (!result.succeeded()) {
            throw new DevServicesException(result.failure().getMessage() + "\nserver log " + logFile + ":\n"
                    + Texts.tailOfFile(logFile, Texts.TAIL_LINES));
        }
    }

    private String exe(String name) {
        return binaries.executable(name).toString();
    }
}
