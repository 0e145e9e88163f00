package io.reactivedb.web.health;

import io.reactivedb.health.HealthEvent;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Turns the router's health events into server-sent events: the snapshot first (event
 * {@code snapshot}), then one event per change, named after its kind in kebab case
 * ({@code endpoint-down}, {@code status-changed}, …), and a heartbeat comment every
 * {@code heartbeat} on {@code scheduler}, so proxies keep an idle stream open and a browser's
 * {@code EventSource} notices a dead one.
 */
public final class HealthStream {

    static final String HEARTBEAT = "heartbeat";

    private HealthStream() {
    }

    /**
     * @param snapshot builds the data of a snapshot event (it may read more, for example the
     *                 migration status); events keep their order
     * @param details  false: only the snapshot (as built) and status changes, without endpoint details
     */
    public static Flux<ServerSentEvent<Object>> of(Flux<HealthEvent> events, Function<HealthEvent.Snapshot, Mono<Object>> snapshot,
                                                   boolean details, Duration heartbeat, Scheduler scheduler) {
        Flux<ServerSentEvent<Object>> health = events
                .filter(event -> details || event instanceof HealthEvent.Snapshot || event instanceof HealthEvent.StatusChanged)
                .concatMap(event -> event instanceof HealthEvent.Snapshot s
                        ? snapshot.apply(s).map(data -> sse("snapshot", data))
                        : Mono.just(sse(name(event), details ? event : statusOnly((HealthEvent.StatusChanged) event))));
        Flux<ServerSentEvent<Object>> heartbeats = Flux.interval(heartbeat, heartbeat, scheduler)
                .map(tick -> ServerSentEvent.builder().comment(HEARTBEAT).build());
        return Flux.merge(health, heartbeats);
    }

    private static Object statusOnly(HealthEvent.StatusChanged changed) {
        return Map.of("from", changed.from().name(), "to", changed.to().name());
    }

    private static ServerSentEvent<Object> sse(String name, Object data) {
        return ServerSentEvent.builder(data).event(name).build();
    }

    /** {@code EndpointDown} → {@code endpoint-down}. */
    static String name(HealthEvent event) {
        String simple = event.getClass().getSimpleName();
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < simple.length(); i++) {
            char c = simple.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                name.append('-');
            }
            name.append(Character.toLowerCase(c));
        }
        return name.toString().toLowerCase(Locale.ROOT);
    }
}
