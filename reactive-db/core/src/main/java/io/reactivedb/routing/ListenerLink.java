package io.reactivedb.routing;

import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.internal.resilience.Backoff;
import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The one connection {@link NotificationHub} listens on: opened (outside the pools) to the writer
 * when first asked, opened again when lost (the first attempt at once, then after the retry
 * settings' exponential, jittered backoff, without a limit on attempts while the router runs), and
 * moved when the health monitor sees another writer. It logs in as the primary's login with the
 * application name plus {@code " listen"}.
 */
final class ListenerLink {

    private static final Logger log = LoggerFactory.getLogger(ListenerLink.class);

    /** What the hub hears from the link. */
    interface Events {
        /** A connection is open and subscribed to; {@code gap} says what was missed before it (none on the first). */
        void opened(PostgresqlConnection connection, NotificationEvent.@Nullable Gap gap);

        /** A notification on the current connection. */
        void received(Notification notification);

        /** The current connection is gone. */
        void lost();
    }

    private final Topology topology;
    private final SessionSettings session;
    /** One per endpoint, built with the router: building one reads files, which must not happen on a reactive thread. */
    private final Map<String, PostgresqlConnectionFactory> factories = new HashMap<>();
    private final RetrySettings backoff;
    private final Scheduler scheduler;
    private final Events events;
    private final Disposable.Swap pending = Disposables.swap();
    private @Nullable PostgresqlConnection connection; // guarded by this
    private @Nullable String connectedTo; // guarded by this
    private @Nullable Disposable subscription; // guarded by this
    private NotificationEvent.@Nullable Gap missed; // guarded by this
    private long generation; // guarded by this
    private int failures; // guarded by this
    private boolean started;
    private boolean closed;

    ListenerLink(List<Endpoint> endpoints, Topology topology, SessionSettings session, RetrySettings backoff, Scheduler scheduler,
                 Events events) {
        this.topology = topology;
        this.session = session.toBuilder()
                .applicationName(RouterWiring.applicationName(session.applicationName(), " listen"))
                .statementCacheSize(0)
                .build();
        for (Endpoint endpoint : endpoints) {
            factories.put(endpoint.name(), new PostgresqlConnectionFactory(EndpointPool.connectionConfiguration(endpoint.settings(), this.session)));
        }
        this.backoff = backoff;
        this.scheduler = scheduler;
        this.events = events;
    }

    /** Opens the connection unless it is open or opening. */
    synchronized void start() {
        if (!started && !closed) {
            started = true;
            attemptAfter(Duration.ZERO);
        }
    }

    /** The health monitor saw a new writer: listen there, at once, if not there already. */
    void writerChanged(Endpoint writer) {
        PostgresqlConnection old;
        synchronized (this) {
            if (!started || closed || writer.name().equals(connectedTo)) {
                return;
            }
            old = drop(NotificationEvent.Gap.Reason.WRITER_CHANGED);
            failures = 0;
            log.info("Writes moved to [{}]: the notification listener follows", writer.name());
            attemptAfter(Duration.ZERO);
        }
        closeQuietly(old);
        if (old != null) {
            events.lost();
        }
    }

    /** Closes the connection and stops reconnecting. */
    Mono<Void> close() {
        PostgresqlConnection old;
        synchronized (this) {
            closed = true;
            pending.dispose();
            old = drop(NotificationEvent.Gap.Reason.CONNECTION_LOST);
        }
        return old == null ? Mono.empty() : old.close().onErrorResume(error -> Mono.empty());
    }

    private void attemptAfter(Duration delay) {
        long attempt = ++generation;
        pending.update(Mono.delay(delay, scheduler)
                .then(Mono.defer(this::connect))
                .timeout(delay.plus(session.connectTimeout()), scheduler)
                .subscribe(opened -> opened(attempt, opened), error -> failed(attempt, error)));
    }

    private Mono<Opened> connect() {
        Endpoint writer = topology.writer();
        if (writer == null) {
            return Mono.error(new IllegalStateException("no writable server is known"));
        }
        return factories.get(writer.name()).create()
                .map(opened -> new Opened(writer.name(), opened));
    }

    private record Opened(String endpoint, PostgresqlConnection connection) {
    }

    private void opened(long attempt, Opened opened) {
        NotificationEvent.Gap gap;
        synchronized (this) {
            if (closed || attempt != generation) {
                closeQuietly(opened.connection());
                return;
            }
            connection = opened.connection();
            connectedTo = opened.endpoint();
            failures = 0;
            gap = missed;
            missed = null;
            subscription = opened.connection().getNotifications()
                    .subscribe(events::received, error -> lost(opened.connection(), error.toString()), () -> lost(opened.connection(), "closed"));
        }
        log.info("[{}] notification listener connected{}", opened.endpoint(), gap == null ? "" : " again after " + gap.reason());
        events.opened(opened.connection(), gap);
    }

    private void failed(long attempt, Throwable error) {
        synchronized (this) {
            if (closed || attempt != generation) {
                return;
            }
            failures++;
            Duration delay = delay(failures);
            log.warn("Notification listener could not connect ({}); trying again in {} ms", error.toString(), delay.toMillis());
            attemptAfter(delay);
        }
    }

    private void lost(PostgresqlConnection lost, String why) {
        synchronized (this) {
            if (closed || lost != connection) {
                return;
            }
            log.warn("[{}] notification listener connection lost ({}); listening again", connectedTo, why);
            drop(NotificationEvent.Gap.Reason.CONNECTION_LOST);
            attemptAfter(Duration.ZERO);
        }
        closeQuietly(lost);
        events.lost();
    }

    /** Forgets the current connection (returned, to be closed outside the lock) and notes the gap that starts now. */
    private @Nullable PostgresqlConnection drop(NotificationEvent.Gap.Reason reason) {
        PostgresqlConnection old = connection;
        if (subscription != null) {
            subscription.dispose();
            subscription = null;
        }
        connection = null;
        connectedTo = null;
        if (missed == null && old != null) {
            missed = new NotificationEvent.Gap(reason, Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS)));
        }
        return old;
    }

    /** The delay after the n-th failed attempt in a row: the retry settings' backoff, never giving up. */
    private Duration delay(int failures) {
        Duration exponential = Backoff.exponentialDelay(failures + 1, backoff);
        double factor = 1.0 - backoff.jitter() + backoff.jitter() * ThreadLocalRandom.current().nextDouble();
        return Duration.ofNanos((long) (exponential.toNanos() * factor));
    }

    private void closeQuietly(@Nullable PostgresqlConnection old) {
        if (old != null) {
            old.close().subscribe(null, error -> log.debug("closing the notification listener's connection failed: {}", error.toString()));
        }
    }
}
