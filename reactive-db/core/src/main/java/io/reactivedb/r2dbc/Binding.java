package io.reactivedb.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.IsolationLevel;
import io.reactivedb.config.Pooler;
import io.reactivedb.error.DbPoolerException;
import io.reactivedb.routing.ConnectionLoan;
import io.reactivedb.routing.ReactiveDbRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;

/**
 * The binding of one {@link RoutedConnection} to a borrowed connection, and what waits for it:
 * session settings asked for and a transaction begun while unbound (see {@link RoutedConnection}).
 * The borrow is subscribed here, not by the operation that triggered it, so a caller that cancels
 * while it is under way does not lose the connection.
 */
final class Binding {

    private static final Sinks.One<ConnectionLoan> CLOSED = closedSink();

    /** A statement's execution failed on the connection: {@link RoutedConnection#failed}. */
    interface Failures {
        void failed(ConnectionLoan connection, long statement, Throwable error);
    }

    private final ReactiveDbRouter router;
    private final ContextView context;
    private final Failures failures;
    private final AtomicReference<Sinks.@Nullable One<ConnectionLoan>> binding = new AtomicReference<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Session settings asked for before binding; applied right after it. Its monitor guards the pending begin too. */
    private final List<Function<Connection, Publisher<Void>>> pendingSettings = new ArrayList<>();
    /** A transaction begun while unbound: sent at binding, after the pending settings. */
    private @Nullable PendingBegin pendingBegin;
    private volatile @Nullable ConnectionLoan borrowed;
    /** The binding failed (no connection, or its settings or BEGIN failed) and gave its connection back itself. */
    private volatile boolean failed;

    Binding(ReactiveDbRouter router, ContextView context, Failures failures) {
        this.router = router;
        this.context = context;
        this.failures = failures;
    }

    /** Where a transaction begun while unbound binds, its BEGIN, and the isolation level it asked for (null: the session's). */
    private record PendingBegin(Target target, Function<Connection, Publisher<Void>> begin, @Nullable IsolationLevel isolation) {
    }

    private static Sinks.One<ConnectionLoan> closedSink() {
        Sinks.One<ConnectionLoan> sink = Sinks.one();
        sink.tryEmitError(new IllegalStateException("the connection is closed"));
        return sink;
    }

    /**
     * The borrowed connection: binds on first use to {@code target}, or to the target of a
     * transaction begun while unbound (the transaction decides where its statements run); later
     * calls get the same one.
     */
    Mono<ConnectionLoan> bind(Target target) {
        if (closed.get()) {
            return CLOSED.asMono();
        }
        Sinks.One<ConnectionLoan> sink = binding.get();
        if (sink == null) {
            Sinks.One<ConnectionLoan> candidate = Sinks.one();
            @Nullable Target where = null;
            synchronized (pendingSettings) {
                if (binding.compareAndSet(null, candidate)) {
                    PendingBegin begin = pendingBegin;
                    where = begin != null ? begin.target() : target;
                }
            }
            if (where != null) {
                Mono<ConnectionLoan> borrow = where.isWrite()
                        ? router.borrowForWrite()
                        : router.borrowForRead(Objects.requireNonNull(where.read()));
                borrow.flatMap(this::applyPending)
                        .doOnError(error -> failed = true)
                        .contextWrite(downstream -> downstream.putAll(context))
                        .subscribe(candidate::tryEmitValue, candidate::tryEmitError);
            }
            sink = Objects.requireNonNull(binding.get());
        }
        return sink.asMono();
    }

    /** Session settings asked for before binding, then the BEGIN of a transaction begun before it. */
    private Mono<ConnectionLoan> applyPending(ConnectionLoan connection) {
        borrowed = connection;
        List<Function<Connection, Publisher<Void>>> settings;
        PendingBegin begin;
        synchronized (pendingSettings) {
            settings = List.copyOf(pendingSettings);
            pendingSettings.clear();
            begin = pendingBegin;
        }
        if (settings.isEmpty() && begin == null) {
            return Mono.just(connection);
        }
        if (!settings.isEmpty()) {
            connection.discardOnRelease();
        }
        Mono<Void> applied = Flux.fromIterable(settings)
                .concatMap(setting -> setting.apply(connection.connection()))
                .then();
        if (begin != null) {
            applied = applied.then(Mono.defer(() -> {
                long statement = connection.statementStarted();
                return Mono.from(begin.begin().apply(connection.connection()))
                        .doOnSuccess(done -> connection.statementFinished(statement))
                        .doOnError(error -> failures.failed(connection, statement, error));
            })).doFinally(signal -> {
                synchronized (pendingSettings) {
                    pendingBegin = null;
                }
            });
        }
        return applied
                .then(Mono.just(connection))
                // The caller never gets this connection: release it here, close() finds the error.
                .onErrorResume(error -> {
                    borrowed = null;
                    return connection.releaseAfterError(error).then(Mono.error(error));
                });
    }

    /** Unbound: ends a transaction begun but not yet sent (there is nothing on a server to end) and returns true. */
    boolean endUnsentTransaction() {
        synchronized (pendingSettings) {
            if (binding.get() != null) {
                return false;
            }
            pendingBegin = null;
            return true;
        }
    }

    /**
     * Unbound: records a transaction's begin for the binding (a second one changes nothing, as the
     * driver skips a BEGIN inside a transaction) and returns true; bound: false.
     */
    boolean beginUnbound(Target target, Function<Connection, Publisher<Void>> begin, @Nullable IsolationLevel isolation) {
        synchronized (pendingSettings) {
            if (binding.get() != null) {
                return false;
            }
            if (pendingBegin == null) {
                pendingBegin = new PendingBegin(target, begin, isolation);
            }
            return true;
        }
    }

    /** Unbound: keeps a session setting for the binding and returns true; bound: false. */
    private boolean settingUnbound(Function<Connection, Publisher<Void>> setting) {
        synchronized (pendingSettings) {
            if (binding.get() != null) {
                return false;
            }
            pendingSettings.add(setting);
            return true;
        }
    }

    /**
     * A setting that outlives the transaction in the server session: applied now when bound, else
     * kept until binding (so that it does not decide the endpoint); either way the connection is
     * discarded on release instead of being lent on with the setting.
     */
    Mono<Void> sessionSetting(Function<Connection, Publisher<Void>> setting, Runnable whilePending) {
        return Mono.defer(() -> {
            Pooler pooler = router.settings().session().pooler();
            if (pooler.sharesSessions()) {
                // The driver applies these with a session SET, which would stay on a server
                // session that other clients get next.
                return Mono.error(new DbPoolerException("a session setting (isolation level, statement or lock timeout) cannot be"
                        + " kept with DB_POOLER=" + pooler.settingValue() + ": give the isolation level with the transaction"
                        + " (beginTransaction(definition)) and set timeouts on the role (ALTER ROLE ... SET)",
                        null, null, null, DbPoolerException.Reason.NEEDS_SESSION));
            }
            if (settingUnbound(setting)) {
                whilePending.run();
                return Mono.empty();
            }
            return bind(Target.WRITER).flatMap(connection -> {
                connection.discardOnRelease();
                return Mono.from(setting.apply(connection.connection()));
            });
        });
    }

    /** Whether a transaction was begun and its BEGIN not yet sent. */
    boolean beginPending() {
        synchronized (pendingSettings) {
            return pendingBegin != null;
        }
    }

    /** The isolation level of a transaction begun but not yet sent, when it asked for one. */
    @Nullable IsolationLevel pendingBeginIsolation() {
        synchronized (pendingSettings) {
            PendingBegin begin = pendingBegin;
            return begin != null ? begin.isolation() : null;
        }
    }

    boolean isBound() {
        return binding.get() != null;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Whether the binding failed and gave its connection back itself: nothing is open anywhere. */
    boolean failed() {
        return failed;
    }

    /** The borrowed connection once bound and its pending settings applied, else null. */
    @Nullable ConnectionLoan borrowed() {
        return borrowed;
    }

    /**
     * Closes the binding, exactly once: the connection, when one is or is being borrowed, handed to
     * {@code release} once it arrives (a failed borrow releases nothing). The release runs on its
     * own once started: a subscriber that cancels stops waiting for it, never the release itself.
     */
    Mono<Void> close(Function<ConnectionLoan, Mono<Void>> release) {
        return Mono.defer(() -> {
            if (!closed.compareAndSet(false, true)) {
                return Mono.empty();
            }
            if (binding.compareAndSet(null, CLOSED)) {
                return Mono.empty();
            }
            Sinks.Empty<Void> released = Sinks.empty();
            Objects.requireNonNull(binding.get()).asMono()
                    .onErrorResume(borrowFailed -> Mono.empty())
                    .flatMap(release)
                    .subscribe(done -> { }, released::tryEmitError, released::tryEmitEmpty);
            return released.asMono();
        });
    }
}
