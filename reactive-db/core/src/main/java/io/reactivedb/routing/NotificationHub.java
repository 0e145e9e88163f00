package io.reactivedb.routing;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Result;
import io.reactivedb.config.Pooler;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * {@link ReactiveDbRouter#notifications(String...)}: every subscriber of every channel shares the
 * one {@link ListenerLink} connection. {@code LISTEN} is sent when a channel's first subscriber
 * arrives, {@code UNLISTEN} when its last leaves (one statement per change set, one at a time);
 * each notification is handed to the {@link Mailbox} of every subscriber of its channel.
 */
final class NotificationHub implements ListenerLink.Events {

    private static final Logger log = LoggerFactory.getLogger(NotificationHub.class);

    private final RouterWiring wiring;
    private final int bufferSize;
    private final ListenerLink link;
    private final Map<String, CopyOnWriteArrayList<Mailbox>> byChannel = new ConcurrentHashMap<>();
    private final Set<Mailbox> mailboxes = new LinkedHashSet<>(); // guarded by this
    private final Set<String> listened = new HashSet<>(); // guarded by this: channels LISTENed on the current connection
    private @Nullable PostgresqlConnection connection; // guarded by this
    private boolean busy; // guarded by this: a LISTEN/UNLISTEN is on the wire
    private boolean closed; // guarded by this

    NotificationHub(RouterWiring wiring, RetrySettings backoff, int bufferSize) {
        this.wiring = wiring;
        this.bufferSize = bufferSize;
        this.link = new ListenerLink(wiring.endpoints.all(), wiring.topology, wiring.settings.session(), backoff, wiring.scheduler, this);
    }

    /** The flux of {@link ReactiveDbRouter#notifications(String...)}; channels checked by the caller's thread. */
    Flux<NotificationEvent> subscribe(String... channels) {
        Set<String> named = channels(channels);
        Pooler pooler = wiring.settings.session().pooler();
        if (pooler.sharesSessions()) {
            return Flux.error(new DbPoolerException("LISTEN needs a server session of its own, which DB_POOLER=" + pooler.settingValue()
                    + " does not give; point the router at the server directly for notifications",
                    null, null, wiring.endpoints.primary().name(), DbPoolerException.Reason.NEEDS_SESSION));
        }
        return Flux.create(sink -> {
            Mailbox mailbox = new Mailbox(named, bufferSize, this::now);
            mailbox.attach(sink);
            sink.onDispose(() -> remove(mailbox));
            add(mailbox, sink);
        }, FluxSink.OverflowStrategy.IGNORE);
    }

    private static Set<String> channels(String... channels) {
        if (channels.length == 0) {
            throw new IllegalArgumentException("name at least one channel");
        }
        Set<String> named = new LinkedHashSet<>();
        for (String channel : channels) {
            Identifiers.quote("channel", channel);
            named.add(channel);
        }
        return Set.copyOf(named);
    }

    /** The health monitor saw another writer. */
    void writerChanged(Endpoint writer) {
        link.writerChanged(writer);
    }

    /** Ends every subscriber's flux and closes the listener's connection. */
    Mono<Void> close() {
        List<Mailbox> ending;
        synchronized (this) {
            closed = true;
            connection = null;
            ending = new ArrayList<>(mailboxes);
            mailboxes.clear();
            byChannel.clear();
        }
        ending.forEach(Mailbox::complete);
        return link.close();
    }

    private void add(Mailbox mailbox, FluxSink<NotificationEvent> sink) {
        synchronized (this) {
            if (closed) {
                sink.error(Shutdown.refusal());
                return;
            }
            mailboxes.add(mailbox);
            mailbox.owe(new NotificationEvent.Listening(mailbox.channels(), now()));
            for (String channel : mailbox.channels()) {
                byChannel.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(mailbox);
            }
        }
        link.start();
        reconcile();
    }

    private void remove(Mailbox mailbox) {
        synchronized (this) {
            if (!mailboxes.remove(mailbox)) {
                return;
            }
            for (String channel : mailbox.channels()) {
                byChannel.computeIfPresent(channel, (c, subscribers) -> {
                    subscribers.remove(mailbox);
                    return subscribers.isEmpty() ? null : subscribers;
                });
            }
        }
        reconcile();
    }

    @Override
    public void opened(PostgresqlConnection opened, NotificationEvent.@Nullable Gap gap) {
        synchronized (this) {
            connection = opened;
            listened.clear();
            busy = false;
            if (gap != null) {
                // Subscribers that were listening get the gap once their channels are listened to again.
                mailboxes.stream().filter(m -> !m.owes()).forEach(m -> m.owe(gap));
            }
        }
        reconcile();
    }

    @Override
    public void lost() {
        synchronized (this) {
            connection = null;
            listened.clear();
            busy = false;
        }
    }

    @Override
    public void received(io.r2dbc.postgresql.api.Notification notification) {
        List<Mailbox> subscribers = byChannel.get(notification.getName());
        if (subscribers == null) {
            return;
        }
        String payload = notification.getParameter();
        NotificationEvent.Notification event = new NotificationEvent.Notification(notification.getName(),
                payload == null ? "" : payload, notification.getProcessId());
        for (Mailbox mailbox : subscribers) {
            mailbox.offer(event);
        }
    }

    /** Sends the LISTEN/UNLISTEN that bring the connection to the channels subscribed to; one change on the wire at a time. */
    private void reconcile() {
        PostgresqlConnection on;
        Set<String> listen = new LinkedHashSet<>();
        Set<String> unlisten = new LinkedHashSet<>();
        List<Mailbox> due = new ArrayList<>();
        boolean send;
        synchronized (this) {
            if (busy || connection == null) {
                return;
            }
            on = connection;
            byChannel.keySet().stream().filter(channel -> !listened.contains(channel)).forEach(listen::add);
            listened.stream().filter(channel -> !byChannel.containsKey(channel)).forEach(unlisten::add);
            send = !listen.isEmpty() || !unlisten.isEmpty();
            if (send) {
                busy = true;
            } else {
                mailboxes.stream().filter(m -> m.owes() && listened.containsAll(m.channels())).forEach(due::add);
            }
        }
        if (!send) {
            due.forEach(Mailbox::pay);
            return;
        }
        StringBuilder sql = new StringBuilder();
        listen.forEach(channel -> sql.append("LISTEN ").append(Identifiers.quote("channel", channel)).append(';'));
        unlisten.forEach(channel -> sql.append("UNLISTEN ").append(Identifiers.quote("channel", channel)).append(';'));
        Flux.from(on.createStatement(sql.toString()).execute())
                .concatMap(Result::getRowsUpdated)
                .then()
                .timeout(timeout(), wiring.scheduler)
                .subscribe(null, error -> changeFailed(on, error), () -> changed(on, listen, unlisten));
    }

    private void changed(PostgresqlConnection on, Set<String> listen, Set<String> unlisten) {
        synchronized (this) {
            if (on != connection) {
                return;
            }
            busy = false;
            listened.addAll(listen);
            listened.removeAll(unlisten);
        }
        reconcile();
    }

    private void changeFailed(PostgresqlConnection on, Throwable error) {
        synchronized (this) {
            if (on != connection || closed) {
                return;
            }
            busy = false;
        }
        // The connection is broken (the link notices and opens another) or the server refused: log, do not loop.
        log.warn("LISTEN/UNLISTEN failed on the notification listener's connection: {}", error.toString());
        on.close().subscribe(null, closeError -> { });
    }

    private Duration timeout() {
        return wiring.settings.pool().validationTimeout().plus(wiring.settings.session().connectTimeout());
    }

    private Instant now() {
        return Instant.ofEpochMilli(wiring.scheduler.now(TimeUnit.MILLISECONDS));
    }
}
