package io.reactivedb.internal.health;

import io.reactivedb.health.Lsn;
import io.reactivedb.health.ObservedRole;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one probe of one server found. A probe that failed or timed out has {@code reachable ==
 * false} and an error text; the other fields are then empty.
 *
 * @param walPosition on a server in recovery its replay LSN, otherwise its current insert LSN
 * @param lastReplay  on a server in recovery, {@code now() - pg_last_xact_replay_timestamp()}
 * @param timeline    on a server not in recovery, its current timeline (from its WAL file name)
 */
public record ProbeResult(boolean reachable, Duration latency, Optional<String> serverVersion, Optional<Instant> serverTime,
                          Optional<Boolean> inRecovery, Optional<Lsn> walPosition, Optional<Duration> lastReplay,
                          OptionalLong timeline, Optional<String> error) {

    public static ProbeResult failed(Duration latency, String error) {
        return new ProbeResult(false, latency, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), OptionalLong.empty(), Optional.of(error));
    }

    public static ProbeResult primary(Duration latency, String version, Instant serverTime, Lsn insertLsn, long timeline) {
        return new ProbeResult(true, latency, Optional.of(version), Optional.of(serverTime), Optional.of(false),
                Optional.of(insertLsn), Optional.empty(), OptionalLong.of(timeline), Optional.empty());
    }

    public static ProbeResult replica(Duration latency, String version, Instant serverTime, Optional<Lsn> replayLsn,
                                      Optional<Duration> lastReplay) {
        return new ProbeResult(true, latency, Optional.of(version), Optional.of(serverTime), Optional.of(true),
                replayLsn, lastReplay, OptionalLong.empty(), Optional.empty());
    }

    public ObservedRole role() {
        return inRecovery.map(recovering -> recovering ? ObservedRole.REPLICA : ObservedRole.PRIMARY).orElse(ObservedRole.UNKNOWN);
    }
}
