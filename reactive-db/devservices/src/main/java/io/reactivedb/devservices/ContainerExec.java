package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * Commands and files inside a container, as the {@code postgres} OS user. Each command runs under
 * coreutils' {@code timeout}, so that every wait is bounded; failures quote the command's output
 * with the cluster's passwords masked.
 */
final class ContainerExec {

    private final DevPasswords passwords;

    ContainerExec(DevPasswords passwords) {
        this.passwords = passwords;
    }

    String run(GenericContainer<?> container, String what, Duration timeout, String... command) {
        List<String> bounded = new ArrayList<>(List.of("timeout", Long.toString(Math.max(1, timeout.toSeconds()))));
        bounded.addAll(List.of(command));
        Container.ExecResult result;
        try {
            result = container.execInContainerWithUser(ContainerCluster.OS_USER, bounded.toArray(String[]::new));
        } catch (IOException e) {
            throw new DevServicesException(what + " could not run in container " + container.getContainerId() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while running " + what, e);
        }
        if (result.getExitCode() != 0) {
            String output = mask(result.getStderr() + result.getStdout());
            throw new DevServicesException(what + " failed in container " + container.getContainerId() + " (exit "
                    + result.getExitCode() + (result.getExitCode() == 124 ? ", timed out after " + Texts.seconds(timeout) : "")
                    + "):\n" + output.strip());
        }
        return result.getStdout();
    }

    /** Writes {@code content} to {@code path}, owned by the server user, mode 0600. */
    void write(GenericContainer<?> container, String path, String content) {
        container.copyFileToContainer(Transferable.of(content.getBytes(StandardCharsets.UTF_8), 0600), path);
        try {
            Container.ExecResult result = container.execInContainer("chown", ContainerCluster.OS_USER + ":" + ContainerCluster.OS_USER, path);
            if (result.getExitCode() != 0) {
                throw new DevServicesException("could not hand " + path + " to " + ContainerCluster.OS_USER + ": " + result.getStderr());
            }
        } catch (IOException e) {
            throw new DevServicesException("could not hand " + path + " to " + ContainerCluster.OS_USER + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while writing " + path, e);
        }
    }

    /** Appends {@code content} to the server user's file {@code path}. */
    void append(GenericContainer<?> container, String path, String content) {
        String part = "/tmp/reactive-db-append";
        write(container, part, content);
        run(container, "append to " + path, Duration.ofSeconds(10), "sh", "-c", "cat \"$0\" >> \"$1\" && rm -f \"$0\"",
                part, path);
    }

    void remove(GenericContainer<?> container, String path) {
        run(container, "rm " + path, Duration.ofSeconds(10), "rm", "-f", path);
    }

    private String mask(String output) {
        String masked = output;
        for (Secret secret : passwords.all()) {
            masked = masked.replace(secret.reveal(), "****");
        }
        return masked;
    }
}
