package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcPermissionDeniedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * A failed attempt to open a connection fails the acquisitions queued before it started, and none
 * queued after: those get attempts of their own, which may succeed (a rotated password file, a
 * server back up). Failing them too failed a login with a freshly rotated password
 * (PasswordRotationIT on CI).
 */
class FailedAttemptTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final Deadlines deadlines = new Deadlines(time);
    private final Object acquisitions = new Object();
    /** One sink per attempt the factory was asked for, in order. */
    private final List<Sinks.One<Connection>> attempts = new CopyOnWriteArrayList<>();
    private final ConnectionFactory controlled = new ConnectionFactory() {
        @Override
        public Publisher<? extends Connection> create() {
            return Mono.defer(() -> {
                Sinks.One<Connection> attempt = Sinks.one();
                attempts.add(attempt);
                return attempt.asMono();
            });
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "controlled";
        }
    };
    private final ConnectionRateLimiter limiter = new ConnectionRateLimiter(controlled, time, 10, Duration.ofMillis(100),
            Duration.ofSeconds(10), EndpointPool.failQueuedBefore(deadlines, acquisitions));

    @AfterEach
    void dispose() {
        deadlines.dispose();
        time.dispose();
    }

    @Test
    void aFailedLoginFailsWhatQueuedBeforeItStartedAndNothingQueuedAfter() {
        List<Throwable> queuedEarlier = new CopyOnWriteArrayList<>();
        List<Throwable> withTheAttempt = new CopyOnWriteArrayList<>();
        List<Throwable> queuedLater = new CopyOnWriteArrayList<>();
        // Waiting in the pool's queue with no attempt of its own.
        acquisition(Mono.never()).subscribe(connection -> { }, queuedEarlier::add);
        // The acquisition that made the pool start attempt 1 (the old password is read now).
        acquisition(limiter.create()).subscribe(connection -> { }, withTheAttempt::add);
        // The password file is rotated; a new acquisition queues and the pool starts attempt 2 for it.
        acquisition(limiter.create()).subscribe(connection -> { }, queuedLater::add);
        assertThat(attempts).hasSize(2);

        R2dbcPermissionDeniedException rejected = new R2dbcPermissionDeniedException("password authentication failed", "28P01");
        attempts.get(0).tryEmitError(rejected);

        assertThat(withTheAttempt).containsExactly(rejected);
        assertThat(queuedEarlier).as("queued before the attempt started: fails with it at once").containsExactly(rejected);
        assertThat(queuedLater).as("queued after it started: waits for its own attempt").isEmpty();
        assertThat(attempts.get(1).currentSubscriberCount()).isEqualTo(1);
    }

    @Test
    void aFailureAfterTheHandOverNeitherFailsNorCancelsTheAcquisition() {
        List<Object> received = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        // A source that hands over its element and has not completed yet when a failure comes.
        Sinks.Many<String> handOver = Sinks.many().unicast().onBackpressureBuffer();
        handOver.asFlux().transform(deadlines.<String>within(Duration.ofSeconds(30), late -> { }, acquisitions))
                .subscribe(received::add, errors::add, () -> received.add("complete"));
        handOver.tryEmitNext("connection");

        assertThat(deadlines.failPending(acquisitions, () -> new IllegalStateException("refused"))).isZero();
        assertThat(received).containsExactly("connection", "complete");
        assertThat(errors).isEmpty();
        assertThat(handOver.currentSubscriberCount()).as("not cancelled under the caller").isEqualTo(1);
    }

    private Mono<Connection> acquisition(Publisher<? extends Connection> source) {
        return Mono.fromDirect(Flux.<Connection>from(source)
                .transform(deadlines.<Connection>within(Duration.ofSeconds(30), late -> { }, acquisitions)));
    }
}
