package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Polls {@code pg_stat_replication} on the primary until the expected replicas stream, and on
 * timeout explains which do not, with the last probe failure and the end of their server logs.
 * Blocking; the poll interval is the only sleep, and never on a request path.
 */
final class StreamingWait {

    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final String STREAMING_QUERY =
            "select application_name from pg_stat_replication where state = 'streaming' order by 1";

    private final PgControl control;
    private final DevNode primary;
    private final Secret superuserPassword;
    private String lastProblem = "";

    StreamingWait(PgControl control, DevNode primary, Secret superuserPassword) {
        this.control = control;
        this.primary = primary;
        this.superuserPassword = superuserPassword;
    }

    void await(List<DevNode> expected, Duration timeout) {
        if (expected.isEmpty()) {
            return;
        }
        Deadline deadline = Deadline.in(timeout);
        while (true) {
            List<String> streaming = streaming(deadline);
            List<DevNode> missing = expected.stream().filter(r -> !streaming.contains(r.name())).collect(Collectors.toList());
            if (missing.isEmpty()) {
                return;
            }
            if (deadline.expired()) {
                throw timedOut(timeout, missing);
            }
            sleep();
        }
    }

    /** The names streaming now; empty, with the problem kept, when the primary cannot be asked. */
    private List<String> streaming(Deadline deadline) {
        Duration probeTimeout = deadline.remaining().compareTo(PROBE_TIMEOUT) < 0 ? deadline.remaining() : PROBE_TIMEOUT;
        try {
            ProcessRunner.Result result = control.attemptPsql(primary.port(), DevCluster.MAINTENANCE_DATABASE, STREAMING_QUERY,
                    superuserPassword, probeTimeout);
            if (result.succeeded()) {
                return result.stdout().strip().lines().map(String::strip).collect(Collectors.toList());
            }
            lastProblem = result.outputTail();
        } catch (DevServicesException e) {
            lastProblem = String.valueOf(e.getMessage());
        }
        return List.of();
    }

    private DevServicesException timedOut(Duration timeout, List<DevNode> missing) {
        StringBuilder message = new StringBuilder("timed out after ").append(Texts.seconds(timeout))
                .append(" waiting for replicas to stream from the primary ").append(primary)
                .append("; not streaming: ").append(missing);
        if (!lastProblem.isEmpty()) {
            message.append("\nlast probe of the primary failed:\n").append(lastProblem);
        }
        for (DevNode node : missing) {
            message.append("\nserver log ").append(node.logFile()).append(":\n")
                    .append(Texts.tailOfFile(node.logFile(), Texts.TAIL_LINES));
        }
        return new DevServicesException(message.toString());
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while waiting for replicas to stream", e);
        }
    }
}
