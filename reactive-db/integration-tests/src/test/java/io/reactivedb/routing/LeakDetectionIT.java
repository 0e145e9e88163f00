package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.pool.LeakDetection;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The leak detector against the shared dev cluster, on the router's real scheduler: a connection of
 * the R2DBC {@code ConnectionFactory} that is never closed gets exactly one WARN, and one INFO once
 * closed; a burst of short units and connections, some cancelled mid-flight, gets none.
 */
@DevClusterTest
class LeakDetectionIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** {@code -Dleak.strictTiming=true} also asserts the WARN came within threshold + 100 ms (off by default: a loaded 2-core machine may delay a timer). */
    private static final boolean STRICT_TIMING = Boolean.getBoolean("leak.strictTiming");

    private final DevCluster cluster;
    private final Logger detectorLog = (Logger) LoggerFactory.getLogger("io.reactivedb.internal.pool.LeakDetector");
    private final Captured captured = new Captured();
    private Level levelBefore;
    private ReactiveDbRouter router;

    LeakDetectionIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void capture() {
        levelBefore = detectorLog.getLevel();
        detectorLog.setLevel(Level.INFO);
        captured.start();
        detectorLog.addAppender(captured);
    }

    @AfterEach
    void stop() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
        detectorLog.detachAppender(captured);
        detectorLog.setLevel(levelBefore);
    }

    @Test
    void aConnectionOfTheConnectionFactoryNeverClosedGetsExactlyOneWarn() {
        Duration threshold = Duration.ofMillis(500);
        router = router(LeakDetection.after(threshold));
        ConnectionFactory factory = RouterConnectionFactory.of(router);
        // Warm: the leaked connection below is handed an idle one, so its hold starts right at the statement.
        Flux.usingWhen(factory.create(), LeakDetectionIT::selectOne, Connection::close).blockLast(WAIT);
        assertThat(captured.events).isEmpty();

        Connection leaked = Mono.from(factory.create()).block(WAIT);
        long subscribed = System.nanoTime();
        selectOne(leaked).blockLast(WAIT); // borrows, and keeps the loan: never closed

        Await.until("the leak WARN", WAIT, () -> !captured.at(Level.WARN).isEmpty());
        Timed warn = captured.at(Level.WARN).get(0);
        long delayMillis = TimeUnit.NANOSECONDS.toMillis(warn.nanos() - subscribed);
        System.out.printf("LeakDetectionIT: WARN %d ms after the statement's subscription (threshold %d ms)%n",
                delayMillis, threshold.toMillis());
        assertThat(captured.at(Level.WARN)).hasSize(1);
        assertThat(delayMillis).isGreaterThanOrEqualTo(threshold.toMillis() - 1);
        if (STRICT_TIMING) {
            assertThat(delayMillis).isLessThanOrEqualTo(threshold.toMillis() + 100);
        }
        String line = warn.event().getFormattedMessage();
        assertThat(line).startsWith("[primary] connection held for ")
                .contains("by connection loan for writes 'write'")
                .contains("possibly leaked");
        assertThat(router.primary().inFlight()).isEqualTo(1);

        Mono.from(leaked.close()).block(WAIT);
        Await.until("the INFO of its return", WAIT, () -> !captured.at(Level.INFO).isEmpty());
        assertThat(captured.at(Level.WARN)).hasSize(1);
        assertThat(captured.at(Level.INFO)).hasSize(1);
        assertThat(captured.at(Level.INFO).get(0).event().getFormattedMessage())
                .startsWith("[primary] the connection reported as possibly leaked came back after ")
                .endsWith("(connection loan for writes 'write')");
        assertNoPassword();
    }

    @Test
    void aUnitOfWorkHoldingItsConnectionPastTheThresholdGetsOneWarnThenOneInfo() {
        router = router(LeakDetection.after(Duration.ofMillis(200)));
        router.write(session -> session.execute("SELECT pg_sleep(1.5)"))
                .contextWrite(DbOperation.named("slow-report"))
                .blockLast(WAIT);

        assertThat(captured.at(Level.WARN)).hasSize(1);
        assertThat(captured.at(Level.WARN).get(0).event().getFormattedMessage()).contains("by write 'slow-report':");
        Await.until("the INFO of its return", WAIT, () -> !captured.at(Level.INFO).isEmpty());
        assertThat(captured.at(Level.INFO)).hasSize(1);
        assertThat(captured.at(Level.INFO).get(0).event().getFormattedMessage()).endsWith("(write 'slow-report')");
        assertThat(captured.at(Level.WARN)).hasSize(1);
    }

    @Test
    void aWarnCarriesWhereTheConnectionWasAcquiredWhenAsked() {
        router = router(LeakDetection.after(Duration.ofMillis(300)).withStackTraces(true));
        ConnectionFactory factory = RouterConnectionFactory.of(router);
        Connection leaked = Mono.from(factory.create()).block(WAIT);
        selectOne(leaked).blockLast(WAIT);

        Await.until("the leak WARN", WAIT, () -> !captured.at(Level.WARN).isEmpty());
        ILoggingEvent warn = captured.at(Level.WARN).get(0).event();
        assertThat(warn.getThrowableProxy()).isNotNull();
        assertThat(Stream.of(warn.getThrowableProxy().getStackTraceElementProxyArray()).map(frame -> frame.getSTEAsString()))
                .anySatisfy(frame -> assertThat(frame).contains("LeakDetectionIT"));
        Mono.from(leaked.close()).block(WAIT);
        assertNoPassword();
    }

    /**
     * 200 subscribers at once, half units of work and half connections of the factory, statements far
     * shorter than the threshold, every fifth cancelled mid-flight: no WARN. Checked once every
     * connection is back in its pool, when no WARN can come any more (a returned watch never logs).
     */
    @Test
    void shortWorkWithCancelsGetsNoWarn() {
        router = router(LeakDetection.after(Duration.ofSeconds(3)));
        ConnectionFactory factory = RouterConnectionFactory.of(router);
        AtomicInteger ended = new AtomicInteger();
        List<Disposable> cancelled = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String sql = "SELECT pg_sleep(" + (0.01 + (i % 5) * 0.02) + ")";
            Flux<Object> work = i % 2 == 0
                    ? router.read(session -> session.query(sql, row -> "done"))
                    : Flux.usingWhen(factory.create(), connection -> Flux.from(connection.createStatement(sql).execute())
                            .flatMap(result -> result.map((row, metadata) -> "done")), Connection::close);
            Disposable subscription = work.doFinally(signal -> ended.incrementAndGet()).subscribe(done -> { }, error -> { });
            if (i % 5 == 0) {
                cancelled.add(subscription);
            }
        }
        // Mid-flight: after the first units are under way, while most are queued or running.
        Await.until("work under way", WAIT, () -> router.endpoints().stream().mapToInt(Endpoint::inFlight).sum() > 0);
        cancelled.forEach(Disposable::dispose);

        Await.until("every subscriber ended", WAIT, () -> ended.get() == 200);
        Await.until("every connection back in its pool", WAIT, () -> router.endpoints().stream()
                .allMatch(endpoint -> endpoint.inFlight() == 0 && endpoint.poolStatistics().acquired() == 0));
        assertThat(captured.at(Level.WARN)).isEmpty();
        assertThat(captured.events).isEmpty();
    }

    private ReactiveDbRouter router(LeakDetection leakDetection) {
        return ReactiveDbRouter.builder(cluster.settings()).without(RouterFeature.HEALTH_MONITORING).leakDetection(leakDetection).build();
    }

    private static Flux<Integer> selectOne(Connection connection) {
        return Flux.from(connection.createStatement("SELECT 1").execute()).flatMap(result -> result.map((row, metadata) -> row.get(0, Integer.class)));
    }

    private void assertNoPassword() {
        ReactiveDbSettings settings = cluster.settings();
        Stream.concat(Stream.of(settings.primary()), settings.replicas().stream())
                .map(endpoint -> endpoint.password().reveal())
                .filter(password -> !password.isEmpty())
                .forEach(password -> captured.events.forEach(timed -> assertThat(timed.event().getFormattedMessage()).doesNotContain(password)));
    }

    record Timed(ILoggingEvent event, long nanos) {
    }

    /** Thread-safe capture, each line with its arrival time ({@link System#nanoTime()}). */
    static final class Captured extends AppenderBase<ILoggingEvent> {
        final ConcurrentLinkedQueue<Timed> events = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            events.add(new Timed(event, System.nanoTime()));
        }

        List<Timed> at(Level level) {
            return events.stream().filter(timed -> timed.event().getLevel() == level).toList();
        }
    }
}
