package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.routing.NotificationEvent.Gap;
import io.reactivedb.routing.NotificationEvent.Listening;
import io.reactivedb.routing.NotificationEvent.Notification;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** Notifications follow a promotion: a private cluster of one primary and one replica, the primary stopped, the replica promoted. */
class NotificationFailoverIT {

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static DevCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(1).build());
        cluster.awaitReplicasStreaming(WAIT);
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @Test
    void afterAPromotionNotificationsComeFromTheNewWriter() {
        DevNode promoted = cluster.replicas().get(0);
        ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                .health(HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofMillis(400)).build())
                .build();
        Queue<NotificationEvent> events = new ConcurrentLinkedQueue<>();
        Disposable subscription = router.notifications("failover").subscribe(events::add);
        try {
            Await.until("healthy", WAIT, () -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
            Await.until("listening", WAIT, () -> events.stream().anyMatch(Listening.class::isInstance));

            cluster.stop(cluster.primary());
            Await.until("no writer", WAIT, () -> router.writer().isEmpty());
            cluster.promote(promoted);
            long promotedAt = System.nanoTime();
            Await.until("a gap", WAIT, () -> events.stream().anyMatch(Gap.class::isInstance));
            Duration toGap = Duration.ofNanos(System.nanoTime() - promotedAt);
            assertThat(router.writer().map(Endpoint::name)).contains("replica-1");
            // One round sees the promotion; the listener moves at once.
            assertThat(toGap).isLessThanOrEqualTo(INTERVAL.multipliedBy(2).plusMillis(400));

            router.write(s -> s.execute("SELECT pg_notify('failover', inet_server_port()::text)")).blockLast(WAIT);
            Await.until("a notification from the new writer", WAIT, () -> events.stream().anyMatch(Notification.class::isInstance));
            Notification received = (Notification) events.stream().filter(Notification.class::isInstance).findFirst().orElseThrow();
            assertThat(received.payload()).isEqualTo(String.valueOf(promoted.port()));
        } finally {
            subscription.dispose();
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }
}
