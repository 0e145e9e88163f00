package io.reactivedb.devservices;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs external commands with a bounded wait. Output goes to temporary files (so a full pipe can
 * never stall the child), is read after the process ends and is masked for known secrets.
 *
 * <p>PostgreSQL refuses to run as root; when this JVM runs as root, commands flagged
 * {@code asServerUser} run as the {@value #SERVER_USER} OS user through {@code runuser} (or
 * {@code su} when {@code runuser} is missing).
 */
final class ProcessRunner {

    /** The OS user that server binaries run as when this JVM runs as root. */
    static final String SERVER_USER = "postgres";

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRunner.class);
    private static final List<Path> RUNUSER_LOCATIONS =
            List.of(Path.of("/usr/sbin/runuser"), Path.of("/sbin/runuser"), Path.of("/usr/bin/runuser"));
    private static final Duration DESTROY_GRACE = Duration.ofSeconds(5);

    /** What to run. Arguments and {@link #display()} never hold a password; pass those in env or stdin. */
    record Invocation(List<String> args, boolean asServerUser, Map<String, String> env, @Nullable String stdin,
                      @Nullable Path workDir, Duration timeout) {

        Invocation {
            args = List.copyOf(args);
            env = Map.copyOf(env);
            Objects.requireNonNull(timeout, "timeout");
        }

        static Invocation of(Duration timeout, List<String> args) {
            return new Invocation(args, false, Map.of(), null, null, timeout);
        }

        Invocation asServerUser(Path workDir) {
            return new Invocation(args, true, env, stdin, workDir, timeout);
        }

        Invocation withEnv(Map<String, String> extra) {
            return new Invocation(args, asServerUser, extra, stdin, workDir, timeout);
        }

        Invocation withStdin(String input) {
            return new Invocation(args, asServerUser, env, input, workDir, timeout);
        }

        /** The command line for logs and messages: executable file name plus arguments. */
        String display() {
            List<String> shown = new ArrayList<>(args);
            shown.set(0, Path.of(args.get(0)).getFileName().toString());
            return String.join(" ", shown) + (asServerUser ? " (as " + SERVER_USER + ")" : "");
        }
    }

    /** The outcome of a finished process. */
    record Result(String command, int exitCode, String stdout, String stderr, Duration elapsed) {

        boolean succeeded() {
            return exitCode == 0;
        }

        String outputTail() {
            String both = (stdout.strip() + "\n" + stderr.strip()).strip();
            return both.isEmpty() ? "(no output)" : Texts.tail(both, Texts.TAIL_LINES);
        }

        DevServicesException failure() {
            return new DevServicesException("command `" + command + "` failed with exit code " + exitCode
                    + " after " + Texts.seconds(elapsed) + "; output:\n" + outputTail());
        }
    }

    private final boolean root;
    private final @Nullable Path runuser;
    private final List<String> secrets = new CopyOnWriteArrayList<>();

    ProcessRunner(boolean root, @Nullable Path runuser) {
        this.root = root;
        this.runuser = runuser;
    }

    /** A runner for the user this JVM runs as. */
    static ProcessRunner forCurrentUser() {
        boolean root = "root".equals(System.getProperty("user.name"));
        Path runuser = RUNUSER_LOCATIONS.stream().filter(Files::isExecutable).findFirst().orElse(null);
        return new ProcessRunner(root, runuser);
    }

    /** Whether this JVM runs as root, so server binaries run as {@value #SERVER_USER}. */
    boolean isRoot() {
        return root;
    }

    /** Masks {@code secret} in every output this runner returns or reports from now on. */
    void addSecret(String secret) {
        if (!secret.isEmpty()) {
            secrets.add(secret);
        }
    }

    /** Runs and fails with {@link DevServicesException} unless the exit code is 0. Blocks. */
    Result run(Invocation invocation) {
        Result result = attempt(invocation);
        if (!result.succeeded()) {
            throw result.failure();
        }
        return result;
    }

    /**
     * Runs and returns the result whatever the exit code. Blocks for at most the invocation's
     * timeout (plus a short grace to destroy the process), and throws on timeout or interruption.
     */
    Result attempt(Invocation invocation) {
        String display = invocation.display();
        Path out = null;
        Path err = null;
        long start = System.nanoTime();
        try {
            out = Files.createTempFile("reactive-db-devservices-", ".out");
            err = Files.createTempFile("reactive-db-devservices-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command(invocation))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (invocation.workDir() != null) {
                builder.directory(invocation.workDir().toFile());
            }
            // Hermetic: libpq and the server tools must not pick up PGHOST, PGPORT, PGDATA, ... from the caller.
            builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
            builder.environment().putAll(invocation.env());
            LOG.debug("Running `{}`", display);
            Process process = builder.start();
            try (OutputStream stdin = process.getOutputStream()) {
                if (invocation.stdin() != null) {
                    stdin.write(invocation.stdin().getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                LOG.debug("Could not write the input of `{}`: {}", display, e.toString());
            }
            boolean finished;
            try {
                finished = process.waitFor(invocation.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                destroy(process);
                Thread.currentThread().interrupt();
                throw new DevServicesException("interrupted while waiting for `" + display + "` to finish", e);
            }
            if (!finished) {
                destroy(process);
                throw new DevServicesException("timed out after " + Texts.seconds(invocation.timeout())
                        + " waiting for `" + display + "` to finish; output so far:\n"
                        + new Result(display, -1, read(out), read(err), invocation.timeout()).outputTail());
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            Result result = new Result(display, process.exitValue(), read(out), read(err), elapsed);
            LOG.debug("`{}` exited with {} after {}", display, result.exitCode(), Texts.seconds(elapsed));
            return result;
        } catch (IOException e) {
            throw new DevServicesException("could not run `" + display + "`: " + e.getMessage(), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /**
     * Whether the server user may create files in {@code dir} (write and search permission on it and
     * on every parent). Always true when not running as root.
     */
    boolean serverUserCanWrite(Path dir) {
        if (!root) {
            return true;
        }
        Result result = attempt(Invocation.of(Duration.ofSeconds(10), List.of("test", "-w", dir.toString(), "-a", "-x",
                dir.toString())).asServerUser(Path.of("/")));
        return result.succeeded();
    }

    /** Gives {@code path} to the server user when running as root; no-op otherwise. */
    void chownToServerUser(Path path) {
        if (!root) {
            return;
        }
        try {
            UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal user = lookup.lookupPrincipalByName(SERVER_USER);
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(user);
            try {
                GroupPrincipal group = lookup.lookupPrincipalByGroupName(SERVER_USER);
                view.setGroup(group);
            } catch (UserPrincipalNotFoundException e) {
                LOG.debug("No OS group {}; leaving the group of {} unchanged", SERVER_USER, path);
            }
        } catch (UserPrincipalNotFoundException e) {
            throw new DevServicesException("this JVM runs as root and PostgreSQL refuses to run as root, but there is no '"
                    + SERVER_USER + "' OS user to run it as; create one (useradd --system " + SERVER_USER
                    + ") or run the build as an ordinary user", e);
        } catch (IOException e) {
            throw new DevServicesException("could not give " + path + " to the " + SERVER_USER + " OS user: " + e, e);
        }
    }

    private List<String> command(Invocation invocation) {
        if (!invocation.asServerUser() || !root) {
            return invocation.args();
        }
        List<String> command = new ArrayList<>();
        if (runuser != null) {
            command.add(runuser.toString());
            command.add("-u");
            command.add(SERVER_USER);
            command.add("--");
            command.addAll(invocation.args());
        } else {
            command.add("su");
            command.add("-s");
            command.add("/bin/sh");
            command.add(SERVER_USER);
            command.add("-c");
            command.add(invocation.args().stream().map(ProcessRunner::shellQuote).collect(Collectors.joining(" ")));
        }
        return command;
    }

    static String shellQuote(String arg) {
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    private static void destroy(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(DESTROY_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String read(Path file) {
        try {
            return mask(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "(could not read the output: " + e + ")";
        }
    }

    private String mask(String text) {
        String masked = text;
        for (String secret : secrets) {
            masked = masked.replace(secret, "******");
        }
        return masked;
    }

    private static void deleteQuietly(@Nullable Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("Could not delete {}: {}", file, e.toString());
        }
    }
}
