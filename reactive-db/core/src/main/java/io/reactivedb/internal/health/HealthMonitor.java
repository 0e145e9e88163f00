package io.reactivedb.internal.health;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.ComponentHealth;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.HealthView;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * Probes every endpoint once per interval, whatever the number of subscribers, and publishes what
 * changed.
 *
 * <p>{@link #events()} is one hot stream: each subscriber first receives a
 * {@link HealthEvent.Snapshot} of the current state (as soon as the first round has completed),
 * then every event as it happens. Delivery never slows the probes: each subscriber has its own
 * buffer of {@link HealthSettings#subscriberBuffer()} events, drained on the monitor's scheduler;
 * when a subscriber falls that far behind, its oldest events are dropped (the next snapshot it asks
 * for is still exact). A subscriber that throws only ends its own subscription.
 *
 * <p>A round starts on each interval tick and on {@link #probeNow()}; ticks that arrive while a
 * round is running are dropped, so probes never pile up. Each probe is bounded by
 * {@link HealthSettings#probeTimeout()}; a probe that fails or hangs counts as unreachable. A round
 * that leaves doubt (a failed probe of an endpoint not yet counted down, or no writer) is followed
 * by a re-check after {@link HealthSettings#recheckInterval()}, doubling per consecutive re-check up
 * to {@link HealthSettings#recheckLimit()}, instead of a whole interval: a server that stopped
 * answering is counted down, and a promoted replica found, within seconds. {@link #probeSoon()} asks
 * for a round at most once per re-check interval (the router calls it on signs of trouble).
 *
 * <p>Each round also checks the registered {@link HealthComponent}s, alongside the probes and
 * bounded by the same timeout; a check that fails, hangs or completes empty counts as
 * {@link ComponentHealth.Status#DEGRADED} with the reason in its details ({@code error}).
 */
public final class HealthMonitor {

    private static final Logger log = LoggerFactory.getLogger(HealthMonitor.class);

    /** One monitored endpoint. */
    public record Target(String name, EndpointRole configuredRole, EndpointProbe probe, Supplier<PoolStatistics> pool) {
    }

    private final List<Target> targets;
    private final List<HealthComponent> components;
    private final HealthSettings settings;
    private final Scheduler scheduler;
    private final TopologyEvaluator evaluator;
    private final Consumer<HealthSnapshot> onSnapshot;
    private final Sinks.Many<HealthEvent> events = Sinks.many().multicast().directBestEffort();
    private final Sinks.Many<HealthSnapshot> snapshots = Sinks.many().replay().latest();
    private final Sinks.Many<Boolean> triggers = Sinks.many().unicast().onBackpressureBuffer();
    private final Object lock = new Object();
    /** When the last {@link HealthEvent.PoolerMismatch} of each endpoint was published, in scheduler milliseconds. */
    private final ConcurrentHashMap<String, Long> poolerMismatches = new ConcurrentHashMap<>();
    private volatile @Nullable HealthSnapshot current;
    private HealthSnapshot previous;
    /** When the latest round started, in the scheduler's milliseconds. */
    private volatile long lastRoundStarted = Long.MIN_VALUE / 2;
    /** A {@link #probeSoon()} round is scheduled and has not started yet. */
    private final java.util.concurrent.atomic.AtomicBoolean soonScheduled = new java.util.concurrent.atomic.AtomicBoolean();
    /** Re-check rounds in a row (guarded by {@code lock}): the next one waits twice as long, up to the limit. */
    private int rechecks;
    private @Nullable Disposable loop;

    /**
     * @param onSnapshot called after each round, before the round's events are published (the
     *                   router applies the topology here); must not block
     */
    public HealthMonitor(List<Target> targets, Optional<String> configuredWriter, HealthSettings settings, Scheduler scheduler,
                         Consumer<HealthSnapshot> onSnapshot) {
        this(targets, configuredWriter, settings, scheduler, onSnapshot, name -> false);
    }

    /**
     * @param breakerOpen whether an endpoint's circuit breaker keeps calls away from it now; an
     *                    open breaker makes the status DEGRADED
     */
    public HealthMonitor(List<Target> targets, Optional<String> configuredWriter, HealthSettings settings, Scheduler scheduler,
                         Consumer<HealthSnapshot> onSnapshot, Predicate<String> breakerOpen) {
        this(targets, List.of(), configuredWriter, settings, scheduler, onSnapshot, breakerOpen);
    }

    /**
     * @param components checked once per round; names must be distinct
     */
    public HealthMonitor(List<Target> targets, List<HealthComponent> components, Optional<String> configuredWriter,
                         HealthSettings settings, Scheduler scheduler, Consumer<HealthSnapshot> onSnapshot,
                         Predicate<String> breakerOpen) {
        this.targets = List.copyOf(targets);
        this.components = List.copyOf(components);
        if (this.components.stream().map(HealthComponent::name).distinct().count() != this.components.size()) {
            throw new IllegalArgumentException("health component names must be distinct");
        }
        this.settings = Objects.requireNonNull(settings, "settings");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.onSnapshot = Objects.requireNonNull(onSnapshot, "onSnapshot");
        List<TopologyEvaluator.Member> members = new ArrayList<>();
        for (Target target : targets) {
            members.add(new TopologyEvaluator.Member(target.name(), target.configuredRole()));
        }
        this.evaluator = new TopologyEvaluator(members, settings, breakerOpen);
        // What the configuration claims until the first round says otherwise.
        this.previous = new HealthSnapshot(HealthStatus.HEALTHY, Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS)),
                configuredWriter, false, List.of());
    }

    /** Starts probing: the first round runs at once. Idempotent. */
    public synchronized void start() {
        if (loop != null) {
            return;
        }
        loop = Flux.merge(Flux.interval(Duration.ZERO, settings.interval(), scheduler), triggers.asFlux())
                .onBackpressureDrop()
                .concatMap(tick -> round(), 0)
                .subscribe();
    }

    /** Asks for a round now (for example after a write hit a read-only server). */
    public void probeNow() {
        synchronized (triggers) {
            triggers.tryEmitNext(Boolean.TRUE);
        }
    }

    /**
     * Asks for a round soon: now when none started within the last
     * {@link HealthSettings#recheckInterval()}, else once that much after the latest round started.
     * Calls in between add nothing, so it may be called on every sign of trouble (a failed write, a
     * stalled endpoint) without a probe storm.
     */
    public void probeSoon() {
        long wait = lastRoundStarted + settings.recheckInterval().toMillis() - scheduler.now(TimeUnit.MILLISECONDS);
        if (wait <= 0) {
            probeNow();
        } else if (soonScheduled.compareAndSet(false, true)) {
            scheduler.schedule(() -> {
                soonScheduled.set(false);
                probeNow();
            }, wait, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Publishes a circuit breaker's state change as a {@link HealthEvent.BreakerStateChanged} and
     * runs a round at once so the status reflects it.
     */
    public void breakerChanged(String endpoint, String from, String to) {
        synchronized (lock) {
            HealthEvent event = new HealthEvent.BreakerStateChanged(Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS)), endpoint, from, to);
            logEvent(event);
            events.tryEmitNext(event);
        }
        probeNow();
    }

    /**
     * Publishes a {@link HealthEvent.PoolerMismatch} for {@code endpoint}, unless one was published
     * for it less than a probe interval ago (a mismatch fails many statements at once).
     */
    public void poolerMismatch(String endpoint, String sqlState) {
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        long interval = settings.interval().toMillis();
        Long previousAt = poolerMismatches.get(endpoint);
        if (previousAt != null && now - previousAt < interval) {
            return;
        }
        if (previousAt == null ? poolerMismatches.putIfAbsent(endpoint, now) != null : !poolerMismatches.replace(endpoint, previousAt, now)) {
            return; // another thread published it just now
        }
        synchronized (lock) {
            HealthEvent event = new HealthEvent.PoolerMismatch(Instant.ofEpochMilli(now), endpoint, sqlState);
            logEvent(event);
            events.tryEmitNext(event);
        }
    }

    /** Stops probing and closes the probes' connections. */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            synchronized (this) {
                if (loop != null) {
                    loop.dispose();
                }
            }
            events.tryEmitComplete();
            return Flux.fromIterable(targets).flatMap(t -> t.probe().close().onErrorResume(e -> Mono.empty())).then();
        });
    }

    /** The state after the latest round; waits for the first round if none has completed yet. */
    public Mono<HealthSnapshot> snapshot() {
        return snapshots.asFlux().next();
    }

    /** The latest state, or empty before the first round. */
    public Optional<HealthSnapshot> current() {
        return Optional.ofNullable(current);
    }

    /** A read-only view of this monitor for the router's users: its state and events, not its rounds. */
    public HealthView view() {
        return new HealthView() {
            @Override
            public Optional<HealthSnapshot> current() {
                return HealthMonitor.this.current();
            }

            @Override
            public Mono<HealthSnapshot> snapshot() {
                return HealthMonitor.this.snapshot();
            }

            @Override
            public Flux<HealthEvent> events() {
                return HealthMonitor.this.events();
            }
        };
    }

    /** The hot event stream: a snapshot first, then changes. See the class description. */
    public Flux<HealthEvent> events() {
        return Flux.<HealthEvent>create(sink -> {
                    Disposable subscription;
                    synchronized (lock) {
                        HealthSnapshot now = current;
                        if (now != null) {
                            sink.next(new HealthEvent.Snapshot(now.at(), now));
                        }
                        subscription = events.asFlux().subscribe(sink::next, sink::error, sink::complete);
                    }
                    sink.onDispose(subscription);
                }, FluxSink.OverflowStrategy.BUFFER)
                .onBackpressureBuffer(settings.subscriberBuffer(),
                        dropped -> log.debug("A slow health subscriber dropped {}", dropped.getClass().getSimpleName()),
                        BufferOverflowStrategy.DROP_OLDEST)
                .publishOn(scheduler, settings.subscriberBuffer());
    }

    private Mono<Void> round() {
        long startedMillis = scheduler.now(TimeUnit.MILLISECONDS);
        lastRoundStarted = startedMillis;
        Instant at = Instant.ofEpochMilli(startedMillis);
        Mono<Map<String, ProbeResult>> probes = Flux.fromIterable(targets)
                .flatMap(target -> probe(target).map(result -> Map.entry(target.name(), result)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
        Mono<Map<String, ComponentHealth>> checks = Flux.fromIterable(components)
                .flatMapSequential(component -> check(component).map(health -> Map.entry(component.name(), health)))
                .collect(java.util.LinkedHashMap<String, ComponentHealth>::new, (map, entry) -> map.put(entry.getKey(), entry.getValue()));
        return Mono.zip(probes, checks)
                .doOnNext(both -> publish(at, both.getT1(), both.getT2()))
                .onErrorResume(error -> {
                    log.warn("Health round failed: {}", error.toString());
                    return Mono.empty();
                })
                .then();
    }

    private Mono<ProbeResult> probe(Target target) {
        long started = System.nanoTime();
        return target.probe().probe()
                .timeout(settings.probeTimeout(), scheduler)
                .onErrorResume(error -> Mono.just(ProbeResult.failed(Duration.ofNanos(System.nanoTime() - started), describe(error, settings))))
                .switchIfEmpty(Mono.fromSupplier(() -> ProbeResult.failed(Duration.ofNanos(System.nanoTime() - started), "probe returned nothing")));
    }

    private Mono<ComponentHealth> check(HealthComponent component) {
        return Mono.defer(component::check)
                .timeout(settings.probeTimeout(), scheduler)
                .onErrorResume(error -> Mono.just(ComponentHealth.degraded(Map.of("error", error instanceof java.util.concurrent.TimeoutException
                        ? "check timed out after " + settings.probeTimeout().toMillis() + " ms" : describe(error, settings)))))
                .switchIfEmpty(Mono.fromSupplier(() -> ComponentHealth.degraded(Map.of("error", "check returned nothing"))));
    }

    private static String describe(Throwable error, HealthSettings settings) {
        if (error instanceof java.util.concurrent.TimeoutException) {
            return "probe timed out after " + settings.probeTimeout().toMillis() + " ms";
        }
        String message = error.getMessage();
        return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private void publish(Instant at, Map<String, ProbeResult> results, Map<String, ComponentHealth> checked) {
        Map<String, PoolStatistics> pools = new HashMap<>();
        for (Target target : targets) {
            pools.put(target.name(), target.pool().get());
        }
        synchronized (lock) {
            TopologyEvaluator.Outcome outcome = evaluator.evaluate(at, results, pools, checked, previous);
            boolean first = current == null;
            previous = outcome.snapshot();
            current = outcome.snapshot();
            try {
                onSnapshot.accept(outcome.snapshot());
            } catch (RuntimeException e) {
                log.warn("Applying the health snapshot failed", e);
            }
            snapshots.tryEmitNext(outcome.snapshot());
            if (first) {
                events.tryEmitNext(new HealthEvent.Snapshot(at, outcome.snapshot()));
            }
            for (HealthEvent event : outcome.events()) {
                logEvent(event);
                events.tryEmitNext(event);
            }
            scheduleRecheck(outcome.snapshot());
        }
    }

    /** After a round that leaves doubt, the next one comes after the re-check delay instead of the interval. */
    private void scheduleRecheck(HealthSnapshot snapshot) {
        boolean doubt = snapshot.writer().isEmpty()
                || snapshot.endpoints().stream().anyMatch(endpoint -> endpoint.reachable() && endpoint.error().isPresent());
        if (!doubt) {
            rechecks = 0;
            return;
        }
        long first = settings.recheckInterval().toMillis();
        long delay = Math.min(settings.recheckLimit().toMillis(), first << Math.min(rechecks, 20));
        rechecks++;
        scheduler.schedule(this::probeNow, delay, TimeUnit.MILLISECONDS);
    }

    private static void logEvent(HealthEvent event) {
        if (event instanceof HealthEvent.EndpointDown || event instanceof HealthEvent.SplitBrain
                || event instanceof HealthEvent.BreakerStateChanged b && "OPEN".equals(b.to())
                || event instanceof HealthEvent.LagExceeded || event instanceof HealthEvent.PoolExhausted
                || event instanceof HealthEvent.PoolerMismatch
                || event instanceof HealthEvent.ComponentStatusChanged c && c.to() == ComponentHealth.Status.DEGRADED) {
            log.warn("{}", event);
        } else {
            log.info("{}", event);
        }
    }
}
