package io.reactivedb.internal.health;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.ComponentHealth;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.Lsn;
import io.reactivedb.health.ObservedRole;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Turns one round of probe results into a {@link HealthSnapshot} and the events that differ from
 * the previous round. Pure: no I/O, no clock; unit-tested on its own.
 *
 * <p>Rules:
 * <ul>
 *   <li>The writer is the one reachable server not in recovery. Writes never go to a server that
 *       reports {@code pg_is_in_recovery() = true}, nor to one that could not be probed.</li>
 *   <li>When several servers are not in recovery (an old primary restarted after a failover), the
 *       writer is the one on the newest timeline; on a tie the previous writer stays. The round is
 *       a split brain: status DEGRADED and a {@link HealthEvent.SplitBrain} event.</li>
 *   <li>Replica lag is measured against the writer's insert position from the same round: bytes,
 *       and time since the last replayed transaction, which counts as zero once the replica has
 *       replayed everything the writer had written (an idle primary must not make replicas look
 *       late).</li>
 *   <li>Reads may go to reachable servers in recovery within the lag limit, whatever their
 *       configured role, so a demoted old primary rejoins the read rotation.</li>
 *   <li>An endpoint whose pool is saturated when the round samples it ({@link PoolStatistics#saturated()}:
 *       every connection lent out and callers queued) makes the round DEGRADED: requests there
 *       wait, although every server answers.</li>
 *   <li>A degraded {@link HealthComponent} makes a HEALTHY round DEGRADED; it never makes a round
 *       UNHEALTHY.</li>
 * </ul>
 */
final class TopologyEvaluator {

    /** An endpoint as configured. */
    record Member(String name, EndpointRole configuredRole) {
    }

    /** A round's outcome. */
    record Outcome(HealthSnapshot snapshot, List<HealthEvent> events) {
    }

    /** Replay lag in bytes up to which a replica counts as caught up in time: two WAL pages. */
    static final long CAUGHT_UP_SLACK_BYTES = 16 * 1024;

    private final List<Member> members;
    private final HealthSettings settings;
    private final Map<String, Integer> failures = new HashMap<>();
    private final Map<String, ProbeResult> lastGood = new HashMap<>();
    /** The writer's insert position at the last round that had a writer: replicas are compared to it while none is writable. */
    private Optional<Lsn> lastWriterLsn = Optional.empty();

    private final Predicate<String> breakerOpen;

    TopologyEvaluator(List<Member> members, HealthSettings settings) {
        this(members, settings, name -> false);
    }

    TopologyEvaluator(List<Member> members, HealthSettings settings, Predicate<String> breakerOpen) {
        this.members = List.copyOf(members);
        this.settings = settings;
        this.breakerOpen = breakerOpen;
    }

    /**
     * Evaluates one round. Not thread-safe: it remembers each endpoint's last good probe and its
     * consecutive failures, so rounds must be evaluated one at a time, in order.
     */
    Outcome evaluate(Instant at, Map<String, ProbeResult> probed, Map<String, PoolStatistics> pools, HealthSnapshot previous) {
        return evaluate(at, probed, pools, Map.of(), previous);
    }

    /** As {@link #evaluate(Instant, Map, Map, HealthSnapshot)}, with the components' checks of the round. */
    Outcome evaluate(Instant at, Map<String, ProbeResult> probed, Map<String, PoolStatistics> pools,
                     Map<String, ComponentHealth> components, HealthSnapshot previous) {
        Map<String, ProbeResult> results = withToleratedFailures(probed);
        List<HealthEvent> events = new ArrayList<>();
        List<String> notInRecovery = new ArrayList<>();
        for (Member member : members) {
            ProbeResult result = results.get(member.name());
            if (result != null && result.reachable() && result.role() == ObservedRole.PRIMARY) {
                notInRecovery.add(member.name());
            }
        }
        boolean splitBrain = notInRecovery.size() > 1;
        Optional<String> writer = chooseWriter(notInRecovery, results, previous);
        Optional<Lsn> writerLsn = writer.flatMap(name -> results.get(name).walPosition());
        if (writerLsn.isPresent()) {
            lastWriterLsn = writerLsn;
        } else {
            // No writer now (the primary is down): nothing new can be written, so a replica that has
            // replayed what the last writer had written is not behind, however old its last transaction.
            writerLsn = lastWriterLsn;
        }

        Map<String, EndpointHealth> byName = new LinkedHashMap<>();
        for (Member member : members) {
            ProbeResult result = results.getOrDefault(member.name(), ProbeResult.failed(Duration.ZERO, "not probed"));
            PoolStatistics pool = pools.getOrDefault(member.name(), new PoolStatistics(0, 0, 0, 0, 0, 0));
            boolean wasLagging = previous.endpoint(member.name()).map(EndpointHealth::lagging).orElse(false);
            byName.put(member.name(), endpointHealth(member, result, pool, writer, writerLsn, wasLagging, at));
        }

        HealthStatus status = status(writer, splitBrain, byName.values(), breakerOpen);
        if (status == HealthStatus.HEALTHY
                && components.values().stream().anyMatch(c -> c.status() == ComponentHealth.Status.DEGRADED)) {
            status = HealthStatus.DEGRADED;
        }
        HealthSnapshot snapshot = new HealthSnapshot(status, at, writer, splitBrain, List.copyOf(byName.values()), components);

        for (EndpointHealth now : byName.values()) {
            Optional<EndpointHealth> before = previous.endpoint(now.endpoint());
            diff(at, before, now, events);
        }
        if (!writer.equals(previous.writer())) {
            events.add(new HealthEvent.WriterChanged(at, previous.writer(), writer));
        }
        if (splitBrain && !previous.splitBrain()) {
            events.add(new HealthEvent.SplitBrain(at, List.copyOf(notInRecovery), writer));
        }
        for (Map.Entry<String, ComponentHealth> component : components.entrySet()) {
            // A component seen for the first time was UP as far as subscribers know.
            ComponentHealth.Status before = previous.component(component.getKey()).map(ComponentHealth::status)
                    .orElse(ComponentHealth.Status.UP);
            if (before != component.getValue().status()) {
                events.add(new HealthEvent.ComponentStatusChanged(at, component.getKey(), before, component.getValue().status(),
                        component.getValue()));
            }
        }
        if (status != previous.status()) {
            events.add(new HealthEvent.StatusChanged(at, previous.status(), status));
        }
        return new Outcome(snapshot, events);
    }

    /**
     * Replaces a failed probe by the endpoint's last good one (or what its configured role
     * implies, if it was never reached) until it has failed {@code failuresBeforeDown} times in a
     * row. The failure's text is kept so it still shows in the snapshot.
     */
    private Map<String, ProbeResult> withToleratedFailures(Map<String, ProbeResult> probed) {
        Map<String, ProbeResult> results = new HashMap<>();
        for (Member member : members) {
            ProbeResult result = probed.getOrDefault(member.name(), ProbeResult.failed(Duration.ZERO, "not probed"));
            if (result.reachable()) {
                failures.put(member.name(), 0);
                lastGood.put(member.name(), result);
                results.put(member.name(), result);
                continue;
            }
            int failed = failures.merge(member.name(), 1, Integer::sum);
            if (failed < settings.failuresBeforeDown()) {
                ProbeResult trusted = lastGood.getOrDefault(member.name(), assumed(member));
                results.put(member.name(), new ProbeResult(true, result.latency(), trusted.serverVersion(), trusted.serverTime(),
                        trusted.inRecovery(), trusted.walPosition(), trusted.lastReplay(), trusted.timeline(), result.error()));
            } else {
                results.put(member.name(), result);
            }
        }
        return results;
    }

    /** What the configuration says of an endpoint never reached yet. */
    private static ProbeResult assumed(Member member) {
        return member.configuredRole() == EndpointRole.PRIMARY
                ? new ProbeResult(true, Duration.ZERO, Optional.empty(), Optional.empty(), Optional.of(false), Optional.empty(),
                        Optional.empty(), OptionalLong.empty(), Optional.empty())
                : new ProbeResult(true, Duration.ZERO, Optional.empty(), Optional.empty(), Optional.of(true), Optional.empty(),
                        Optional.empty(), OptionalLong.empty(), Optional.empty());
    }

    private Optional<String> chooseWriter(List<String> notInRecovery, Map<String, ProbeResult> results, HealthSnapshot previous) {
        if (notInRecovery.isEmpty()) {
            return Optional.empty();
        }
        if (notInRecovery.size() == 1) {
            return Optional.of(notInRecovery.get(0));
        }
        long newest = notInRecovery.stream().mapToLong(name -> results.get(name).timeline().orElse(0)).max().orElse(0);
        List<String> onNewest = notInRecovery.stream()
                .filter(name -> results.get(name).timeline().orElse(0) == newest)
                .toList();
        if (previous.writer().isPresent() && onNewest.contains(previous.writer().get())) {
            return previous.writer();
        }
        return onNewest.stream().min(Comparator.comparingInt(this::configuredOrder));
    }

    private int configuredOrder(String name) {
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).name().equals(name)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    private EndpointHealth endpointHealth(Member member, ProbeResult result, PoolStatistics pool, Optional<String> writer,
                                          Optional<Lsn> writerLsn, boolean wasLagging, Instant at) {
        ObservedRole role = result.reachable() ? result.role() : ObservedRole.UNKNOWN;
        OptionalLong lagBytes = OptionalLong.empty();
        Optional<Duration> lagTime = Optional.empty();
        boolean lagging = false;
        if (role == ObservedRole.REPLICA) {
            if (writerLsn.isPresent() && result.walPosition().isPresent()) {
                lagBytes = OptionalLong.of(writerLsn.get().bytesAfter(result.walPosition().get()));
            }
            // A few hundred bytes behind is WAL without transactions (a checkpoint, running-xacts or
            // restart record, e.g. right after the primary restarted): it has no commit time, so
            // measuring from the last replayed transaction would make an idle replica look late.
            boolean caughtUp = lagBytes.isPresent() && lagBytes.getAsLong() <= CAUGHT_UP_SLACK_BYTES;
            lagTime = caughtUp ? Optional.of(Duration.ZERO) : result.lastReplay().map(d -> d.isNegative() ? Duration.ZERO : d);
            lagging = lagTime.map(t -> t.compareTo(settings.maxLag()) > 0).orElse(false)
                    || (settings.maxLagBytes().isPresent() && lagBytes.isPresent() && lagBytes.getAsLong() > settings.maxLagBytes().getAsLong());
            if (writer.isEmpty() && lagBytes.isEmpty()) {
                // No writer, and no writer position ever seen to compare with: the time since the
                // last replayed transaction only says the cluster was idle, and nothing new is being
                // written. The replica keeps its standing, so reads go on while the primary is away
                // (they all failed when an idle cluster's replicas left rotation with it).
                lagging = wasLagging;
            }
        }
        boolean isWriter = writer.map(member.name()::equals).orElse(false);
        boolean inRotation = role == ObservedRole.REPLICA && !lagging;
        return new EndpointHealth(member.name(), member.configuredRole(), role, result.reachable(), result.latency(),
                result.serverVersion(), result.serverTime(), result.walPosition(), lagBytes, lagTime, lagging, inRotation,
                isWriter, pool, at, result.error());
    }

    private static HealthStatus status(Optional<String> writer, boolean splitBrain, Iterable<EndpointHealth> endpoints,
                                       Predicate<String> breakerOpen) {
        if (writer.isEmpty()) {
            return HealthStatus.UNHEALTHY;
        }
        if (splitBrain) {
            return HealthStatus.DEGRADED;
        }
        for (EndpointHealth endpoint : endpoints) {
            if (!endpoint.reachable() || endpoint.lagging() || breakerOpen.test(endpoint.endpoint()) || endpoint.pool().saturated()) {
                return HealthStatus.DEGRADED;
            }
        }
        return HealthStatus.HEALTHY;
    }

    private static void diff(Instant at, Optional<EndpointHealth> before, EndpointHealth now, List<HealthEvent> events) {
        boolean wasReachable = before.map(EndpointHealth::reachable).orElse(true);
        if (wasReachable && !now.reachable()) {
            events.add(new HealthEvent.EndpointDown(at, now.endpoint(), now.error().orElse("probe failed")));
        } else if (!wasReachable && now.reachable()) {
            events.add(new HealthEvent.EndpointUp(at, now.endpoint(), now.observedRole()));
        }
        ObservedRole beforeRole = before.map(EndpointHealth::observedRole).orElse(ObservedRole.UNKNOWN);
        if (beforeRole != ObservedRole.UNKNOWN && now.observedRole() != ObservedRole.UNKNOWN && beforeRole != now.observedRole()) {
            events.add(new HealthEvent.RoleChanged(at, now.endpoint(), beforeRole, now.observedRole()));
        }
        boolean wasLagging = before.map(EndpointHealth::lagging).orElse(false);
        if (!wasLagging && now.lagging()) {
            events.add(new HealthEvent.LagExceeded(at, now.endpoint(), now.lagBytes(), now.lagTime()));
        } else if (wasLagging && !now.lagging() && now.reachable()) {
            events.add(new HealthEvent.LagRecovered(at, now.endpoint(), now.lagBytes(), now.lagTime()));
        }
        PoolStatistics pool = now.pool();
        long timeoutsBefore = before.map(b -> b.pool().acquireTimeouts()).orElse(0L);
        if (pool.saturated() || pool.acquireTimeouts() > timeoutsBefore) {
            events.add(new HealthEvent.PoolExhausted(at, now.endpoint(), pool));
        }
    }
}
