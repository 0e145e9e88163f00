package io.reactivedb.internal.pool;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.client.SSLMode;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.ValidationDepth;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.config.TlsSettings;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.pool.AcquireWaits;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The connection pool of one endpoint: r2dbc-pool over r2dbc-postgresql.
 *
 * <p>Every limit r2dbc-pool leaves open by default is set: acquire timeout, create timeout,
 * validation timeout, maximum lifetime, maximum idle time and background eviction. Validation on
 * acquire is {@link ValidationDepth#LOCAL} (the socket must be open; no round trip) unless a
 * validation query is configured. TCP keepalive is on. Statement, lock and idle-in-transaction
 * timeouts and {@code application_name} are sent as startup parameters, so they are the session's
 * defaults and {@code RESET ALL} returns to them. Behind PgBouncer in session mode, which refuses
 * startup parameters it does not track, the timeouts are set with {@code SET} on each new
 * connection instead; in transaction mode the settings never hold any (see {@link SessionSettings}).
 *
 * <p>{@link #acquire()} translates every failure through {@link ErrorTranslator}; a caller that
 * waited past the acquire timeout gets a {@link DbPoolExhaustedException} carrying the pool state,
 * and saying so when the pool's connections are held by units of work waiting for another one
 * ({@link #acquire(Duration, boolean)} with {@code nested}).
 */
public final class EndpointPool {

    private final EndpointSettings endpoint;
    private final ConnectionPool pool;
    private final int maxSize;
    private final Duration acquireTimeout;
    private final LongAdder acquireTimeouts = new LongAdder();
    /** Acquisitions waiting whose caller holds a connection of this pool already (nested). */
    private final AtomicInteger nestedWaiting = new AtomicInteger();
    private final AcquireWaitRecorder acquireWaits = new AcquireWaitRecorder();
    private final Mono<Connection> acquire;
    private final Deadlines deadlines;
    private final Pooler pooler;
    /** The group of this pool's acquisitions in {@link Deadlines}. */
    private final Object acquisitions;

    private EndpointPool(EndpointSettings endpoint, ConnectionPool pool, PoolSettings settings, Pooler pooler, Deadlines deadlines,
                         Object acquisitions) {
        this.endpoint = endpoint;
        this.pooler = pooler;
        this.pool = pool;
        this.maxSize = settings.maxSize();
        this.acquireTimeout = settings.acquireTimeout();
        this.deadlines = deadlines;
        this.acquisitions = acquisitions;
        // The acquire timeout is ours, not r2dbc-pool's maxAcquireTime: that one arms a timer on
        // every acquire, even when a connection is idle, which cost more CPU than the rest of the
        // router together. A connection handed out just as the deadline fires goes back.
        // fromDirect, not from: Mono.from would cancel the acquire after its one element, and a
        // cancel reaching r2dbc-pool after the hand-over releases the connection under the caller.
        this.acquire = acquireWithin(acquireTimeout);
    }

    /** An acquisition bounded by {@code within}, its failures translated, its wait recorded. */
    private Mono<Connection> acquireWithin(Duration within) {
        Mono<Connection> timed = Mono.fromDirect(pool.create().flux().transform(deadlines.<Connection>within(within,
                        late -> Mono.from(late.close()).subscribe(done -> { }, error -> { }), acquisitions)))
                .onErrorMap(error -> translateAcquireFailure(error, within));
        // The wait from subscription to hand-over, for the pool tuning advice and the acquire timer.
        return Mono.defer(() -> {
            long started = System.nanoTime();
            return timed.doOnNext(connection -> acquireWaits.record(System.nanoTime() - started));
        });
    }

    /**
     * Builds the pool; it opens no connection until {@link #warmUp()} or the first acquire.
     *
     * @param deadlines bounds each acquire by {@link PoolSettings#acquireTimeout()}
     */
    public static EndpointPool create(EndpointSettings endpoint, PoolSettings poolSettings, SessionSettings session, Deadlines deadlines) {
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(connectionConfiguration(endpoint, session));
        // New connections per endpoint: a burst of the pool's size, then the pool's size per second
        // (at least 10 per second, so a small pool is not starved), so after an outage a full pool
        // is reopened within about a second, never in one storm.
        // When opening a connection fails (refused, reset, login rejected, timed out), every
        // acquisition queued on this pool before the attempt started fails with that error at once
        // (one queued later gets an attempt of its own, which may read a rotated password or find
        // the server back; failing it too failed a login with the new password, seen in
        // PasswordRotationIT): each would otherwise wait
        // for an attempt of its own, spaced by the rate limit, that fails the same way (seen in the
        // failover load test: reads queued on a stopped replica waited 10 to 16 s). Their failure is
        // retry-safe (nothing was sent), so the retry takes them to another endpoint, and the
        // breaker, counting them, takes this one out of rotation.
        Object acquisitions = new Object();
        // Opening is bounded by the connect timeout, login included (DB_CONNECT_TIMEOUT: "open and
        // log in"); the driver's own timeout covers the TCP connect only.
        ConnectionRateLimiter limited = new ConnectionRateLimiter(factory, deadlines.scheduler(), poolSettings.maxSize(),
                Duration.ofNanos(1_000_000_000L / Math.max(poolSettings.maxSize(), 10)), session.connectTimeout(),
                failQueuedBefore(deadlines, acquisitions));
        ConnectionPoolConfiguration.Builder pool = ConnectionPoolConfiguration.builder(limited)
                .name("reactive-db-" + endpoint.name())
                .initialSize(poolSettings.minIdle())
                .minIdle(poolSettings.minIdle())
                .maxSize(poolSettings.maxSize())
                // A backstop only (rate-limit wait included): one attempt is bounded by the connect
                // timeout inside the limiter, which fires first and fails the queued acquisitions too.
                // Kept for its hook that closes a connection arriving after a timeout.
                .maxCreateConnectionTime(session.connectTimeout().plus(poolSettings.acquireTimeout()))
                .maxLifeTime(poolSettings.maxLifetime())
                .maxIdleTime(poolSettings.maxIdleTime())
                .backgroundEvictionInterval(poolSettings.evictionInterval())
                .validationDepth(ValidationDepth.LOCAL)
                // A connection that fails validation on acquire (the server closed it: restart,
                // pg_terminate_backend) is invalidated and the acquire tried again, up to the pool's
                // size, so a pool full of dead connections is replaced without the caller noticing.
                .acquireRetry(poolSettings.maxSize())
                .registerJmx(false);
        // Local validation is a flag check that cannot hang; a timeout around it would only arm and
        // cancel a timer on every acquire. The bound matters for a validation query's round trip.
        // Jittered maximum lifetime: connections opened together (at start, after an outage) would
        // otherwise all expire in the same instant and be reopened in lock-step. Each connection
        // lives between 80 % and 100 % of the maximum, decided by its identity.
        long maxLifeMillis = poolSettings.maxLifetime().toMillis();
        long maxIdleMillis = poolSettings.maxIdleTime().toMillis();
        pool.customizer(builder -> builder.evictionPredicate((connection, metadata) ->
                metadata.idleTime() >= maxIdleMillis || metadata.lifeTime() >= jitteredLifetime(connection, maxLifeMillis)));
        poolSettings.validationQuery().ifPresent(query -> pool.validationQuery(query).maxValidationTime(poolSettings.validationTimeout()));
        sessionTimeoutsAfterConnect(session).ifPresent(sql -> pool.postAllocate(connection -> Flux.from(connection.createStatement(sql).execute())
                .concatMap(Result::getRowsUpdated)
                .then()
                .timeout(session.connectTimeout(), deadlines.scheduler())));
        return new EndpointPool(endpoint, new ConnectionPool(pool.build()), poolSettings, session.pooler(), deadlines, acquisitions);
    }

    /** On a failed attempt to open a connection, fails the acquisitions of {@code group} queued before the attempt started. */
    static ConnectionRateLimiter.Attempts failQueuedBefore(Deadlines deadlines, Object group) {
        return new ConnectionRateLimiter.Attempts() {
            @Override
            public long started() {
                return deadlines.mark();
            }

            @Override
            public void failed(Throwable failure, long started) {
                deadlines.failPending(group, () -> failure, started);
            }
        };
    }

    /** Between 80 % and 100 % of {@code maxLifeMillis}, fixed per connection. */
    static long jitteredLifetime(Object connection, long maxLifeMillis) {
        long spread = maxLifeMillis / 5;
        return maxLifeMillis - (spread == 0 ? 0 : Math.floorMod(System.identityHashCode(connection) * 0x9E3779B9L, spread));
    }

    /**
     * The session timeouts as one {@code SET} round trip for a new connection, behind PgBouncer in
     * session mode; empty otherwise (sent as startup parameters, or refused in transaction mode).
     * The client's server session lasts as long as its connection to PgBouncer, which resets it
     * ({@code server_reset_query}) before the next client gets it.
     */
    static Optional<String> sessionTimeoutsAfterConnect(SessionSettings session) {
        if (session.pooler() != Pooler.PGBOUNCER_SESSION) {
            return Optional.empty();
        }
        Map<String, String> timeouts = sessionTimeouts(session);
        if (timeouts.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder sql = new StringBuilder();
        timeouts.forEach((name, value) -> sql.append(sql.length() == 0 ? "" : "; ").append("SET ").append(name).append(" = ").append(value));
        return Optional.of(sql.toString());
    }

    private static Map<String, String> sessionTimeouts(SessionSettings session) {
        Map<String, String> timeouts = new LinkedHashMap<>();
        session.statementTimeout().ifPresent(d -> timeouts.put("statement_timeout", millis(d)));
        session.lockTimeout().ifPresent(d -> timeouts.put("lock_timeout", millis(d)));
        session.idleInTransactionTimeout().ifPresent(d -> timeouts.put("idle_in_transaction_session_timeout", millis(d)));
        return timeouts;
    }

    /**
     * The r2dbc-postgresql configuration for {@code endpoint}; the password is read on each connect.
     * The driver always sends {@code extra_float_digits} at startup, which PgBouncer must be told to
     * ignore ({@code ignore_startup_parameters = extra_float_digits}); the session timeouts are sent
     * only without a pooler.
     */
    public static PostgresqlConnectionConfiguration connectionConfiguration(EndpointSettings endpoint, SessionSettings session) {
        Map<String, String> options = session.pooler() == Pooler.NONE ? sessionTimeouts(session) : Map.of();
        PostgresqlConnectionConfiguration.Builder builder = PostgresqlConnectionConfiguration.builder()
                .host(endpoint.host())
                .port(endpoint.port())
                .database(endpoint.database())
                .username(endpoint.username())
                .applicationName(session.applicationName())
                .connectTimeout(session.connectTimeout())
                .tcpKeepAlive(true)
                .tcpNoDelay(true)
                .maxMessageSize(session.maxMessageSize())
                // Bounded (LRU, evicted statements closed on the server) or 0: unnamed statements only.
                .preparedStatementCacheQueries(session.statementCacheSize())
                .options(options);
        if (!endpoint.password().isEmpty()) {
            builder.password(() -> endpoint.password().reveal());
        }
        applyTls(builder, endpoint.host(), endpoint.tls());
        return builder.build();
    }

    /**
     * Maps {@code sslmode} to the driver. {@code disable} never sends the SSL request; {@code allow}
     * tries without TLS first and with TLS when the server refuses; {@code prefer} tries TLS and
     * accepts a server that answers {@code N}; {@code require} and above refuse such a server.
     * {@code require} with a root certificate verifies the chain, as libpq does; {@code verify-ca}
     * verifies the chain but not the name; {@code verify-full} checks the configured host name
     * ({@link PeerNameVerifier}), never the reverse-resolved one, and never falls back to plain.
     */
    static SSLMode driverMode(TlsSettings tls) {
        if (tls.mode() == io.reactivedb.config.SslMode.REQUIRE && tls.rootCert().isPresent()) {
            return SSLMode.VERIFY_CA;
        }
        return SSLMode.valueOf(tls.mode().name());
    }

    private static void applyTls(PostgresqlConnectionConfiguration.Builder builder, String host, TlsSettings tls) {
        SSLMode mode = driverMode(tls);
        builder.sslMode(mode);
        if (mode == SSLMode.VERIFY_FULL) {
            // Two independent checks of the configured name: the JDK's (endpoint identification,
            // during the handshake) and ours after it; either failing closes the connection.
            builder.sslHostnameVerifier(new PeerNameVerifier(host));
            builder.sslContextBuilderCustomizer(context -> context.endpointIdentificationAlgorithm("HTTPS"));
        } else if (mode == SSLMode.VERIFY_CA) {
            // Netty 4.2 turns host name checking on by default; verify-ca checks the chain only, as in libpq.
            builder.sslContextBuilderCustomizer(context -> context.endpointIdentificationAlgorithm(null));
        }
        tls.rootCert().ifPresent(path -> builder.sslRootCert(path.toString()));
        tls.cert().ifPresent(path -> builder.sslCert(path.toString()));
        tls.key().ifPresent(path -> builder.sslKey(path.toString()));
    }

    private static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }

    /** What sits between this pool and the server ({@code DB_POOLER}). */
    public Pooler pooler() {
        return pooler;
    }

    /** The endpoint this pool connects to. */
    public EndpointSettings endpoint() {
        return endpoint;
    }

    /**
     * A connection from the pool; closing it returns it. Fails with a translated
     * {@link io.reactivedb.error.ReactiveDbException}: {@link DbPoolExhaustedException} after the
     * acquire timeout, {@link io.reactivedb.error.DbConnectionException} when no connection could
     * be opened.
     */
    public Mono<Connection> acquire() {
        return acquire;
    }

    /**
     * As {@link #acquire()}, for a caller that may wait only {@code within} (its unit of work spent
     * the rest of the acquire timeout on earlier attempts, or runs inside a unit that did): it
     * fails with {@link DbPoolExhaustedException} after {@code within}, or at once when
     * {@code within} is zero and no connection is idle. Never waits longer than the acquire timeout.
     *
     * @param nested whether the caller holds a connection of this pool already (a unit of work
     *               acquiring inside another): such callers are counted while they wait, so that a
     *               timeout can say when the pool's connections are held by units that wait for
     *               another of them, which none can get
     */
    public Mono<Connection> acquire(Duration within, boolean nested) {
        Objects.requireNonNull(within, "within");
        Duration bounded = within.isNegative() ? Duration.ZERO : within.compareTo(acquireTimeout) > 0 ? acquireTimeout : within;
        // Within the sweep's precision of the full timeout: the shared acquisition, built once.
        Mono<Connection> acquisition = acquireTimeout.minus(bounded).compareTo(Deadlines.TICK) < 0 ? acquire : acquireWithin(bounded);
        if (!nested) {
            return acquisition;
        }
        return Mono.defer(() -> {
            nestedWaiting.incrementAndGet();
            AtomicBoolean counted = new AtomicBoolean(true);
            Runnable done = () -> {
                if (counted.compareAndSet(true, false)) {
                    nestedWaiting.decrementAndGet();
                }
            };
            // Uncounted at the hand-over or after the failure was translated (which reads the count).
            return acquisition.doOnNext(connection -> done.run()).doOnError(error -> done.run()).doOnCancel(done);
        });
    }

    /**
     * Fails every acquisition waiting for a connection of this pool now, each with an error from
     * {@code reason} (it should say why no connection can come, and be retry-safe: nothing was
     * sent). For a server known to be down: work queued for it moves on instead of waiting out the
     * acquire timeout.
     *
     * @return how many acquisitions were failed
     */
    public int failPending(Supplier<? extends Throwable> reason) {
        return deadlines.failPending(acquisitions, reason);
    }

    /** Opens connections up to the configured minimum; emits how many were opened. */
    public Mono<Integer> warmUp() {
        return pool.warmup().onErrorMap(e -> ErrorTranslator.translate(e, endpoint.name(), Phase.ACQUIRE, false));
    }

    public PoolStatistics statistics() {
        PoolMetrics metrics = pool.getMetrics().orElse(null);
        if (metrics == null) {
            return new PoolStatistics(0, 0, 0, 0, maxSize, acquireTimeouts.sum());
        }
        return new PoolStatistics(metrics.acquiredSize(), metrics.idleSize(), metrics.pendingAcquireSize(),
                metrics.allocatedSize(), metrics.getMaxAllocatedSize(), acquireTimeouts.sum());
    }

    /** How long acquisitions that got a connection waited for it, since the pool started. */
    public AcquireWaits acquireWaits() {
        return acquireWaits.snapshot();
    }

    /** Closes every connection, idle ones at once and acquired ones as they come back. */
    public Mono<Void> close() {
        return pool.disposeLater();
    }

    public boolean isClosed() {
        return pool.isDisposed();
    }

    private Throwable translateAcquireFailure(Throwable error, Duration within) {
        if (error instanceof TimeoutException) {
            // The acquire deadline passed: no connection came free in time.
            acquireTimeouts.increment();
            PoolStatistics stats = statistics();
            long timeoutMillis = acquireTimeout.toMillis();
            String limit = within.equals(acquireTimeout) ? "within " + timeoutMillis + " ms, the acquire timeout"
                    : "within the acquire timeout of " + timeoutMillis + " ms (" + (timeoutMillis - within.toMillis())
                    + " ms of it went to earlier attempts of the unit of work, or to the wait of the unit it runs in)";
            return new DbPoolExhaustedException("[" + endpoint.name() + "] pool exhausted: no connection available " + limit
                    + " (" + stats.describe() + ")" + nestedWaits(stats), error, endpoint.name(), stats);
        }
        return ErrorTranslator.translate(error, endpoint.name(), Phase.ACQUIRE, false);
    }

    /** Why the pool is exhausted, when units that hold its connections wait for another one. */
    private String nestedWaits(PoolStatistics stats) {
        int nested = nestedWaiting.get();
        if (nested <= 0) {
            return "";
        }
        String held = " held by units of work that are themselves waiting for another connection of this pool"
                + " (a unit of work acquiring inside another)";
        if (nested >= stats.max()) {
            return "; all " + stats.max() + " connections are" + held + ": none of them can finish, so no connection comes free."
                    + " Run the inner work on the outer unit's session, or keep fewer such units at once than the pool's size";
        }
        return "; " + nested + " of the " + stats.max() + " connections are" + held;
    }

    @Override
    public String toString() {
        return "EndpointPool[" + endpoint.describe() + ", " + statistics().describe() + "]";
    }
}
