package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a test does to one node of a running cluster: stop, start, crash, freeze, restart, promote,
 * pause replay, run SQL. Each logs what it does and blocks, bounded by the start timeout. Keeps
 * which replicas were promoted. Membership and closed-state checks are the caller's.
 */
final class NodeOperations {

    private static final Logger LOG = LoggerFactory.getLogger(NodeOperations.class);

    private final PgControl control;
    private final Secret superuserPassword;
    private final Duration timeout;
    private final Set<DevNode> promoted = ConcurrentHashMap.newKeySet();

    NodeOperations(PgControl control, Secret superuserPassword, Duration timeout) {
        this.control = control;
        this.superuserPassword = superuserPassword;
        this.timeout = timeout;
    }

    void stop(DevNode node) {
        LOG.info("Stopping {} (fast)", node);
        control.stop(node.dataDir(), "fast", timeout, node.logFile());
    }

    void start(DevNode node) {
        LOG.info("Starting {}", node);
        control.start(node.dataDir(), node.logFile(), timeout);
    }

    void kill(DevNode node) {
        LOG.info("Killing {} (immediate stop)", node);
        control.stop(node.dataDir(), "immediate", timeout, node.logFile());
    }

    void pause(DevNode node) {
        LOG.info("Pausing {} (SIGSTOP)", node);
        control.pause(node.dataDir());
    }

    void resume(DevNode node) {
        LOG.info("Resuming {} (SIGCONT)", node);
        control.resume(node.dataDir());
    }

    void restart(DevNode node) {
        LOG.info("Restarting {}", node);
        control.restart(node.dataDir(), node.logFile(), timeout);
    }

    void promote(DevNode node) {
        LOG.info("Promoting {}", node);
        control.promote(node.dataDir(), node.logFile(), timeout);
        promoted.add(node);
    }

    boolean isPromoted(DevNode node) {
        return promoted.contains(node);
    }

    boolean isRunning(DevNode node) {
        return control.isRunning(node.dataDir());
    }

    String psql(DevNode node, String database, String sql) {
        return control.psql(node.port(), database, sql, superuserPassword, timeout);
    }
}
