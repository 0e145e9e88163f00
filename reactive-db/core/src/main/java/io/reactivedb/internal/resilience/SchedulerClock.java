package io.reactivedb.internal.resilience;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Scheduler;

/** A {@link Clock} that reads {@link Scheduler#now(TimeUnit)}, so that a virtual-time scheduler drives it. */
final class SchedulerClock extends Clock {

    private final Scheduler scheduler;
    private final ZoneId zone;

    SchedulerClock(Scheduler scheduler, ZoneId zone) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.zone = Objects.requireNonNull(zone, "zone");
    }

    SchedulerClock(Scheduler scheduler) {
        this(scheduler, ZoneOffset.UTC);
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new SchedulerClock(scheduler, zone);
    }

    @Override
    public long millis() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }
}
