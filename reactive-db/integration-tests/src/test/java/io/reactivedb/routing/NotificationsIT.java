package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.routing.NotificationEvent.Gap;
import io.reactivedb.routing.NotificationEvent.Listening;
import io.reactivedb.routing.NotificationEvent.Notification;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;

/** {@link ReactiveDbRouter#notifications(String...)} against the shared dev cluster's primary. */
@DevClusterTest
class NotificationsIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final DevCluster cluster;
    private final List<Disposable> subscriptions = new ArrayList<>();
    private ReactiveDbRouter router;
    private String applicationName;

    NotificationsIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void close() {
        subscriptions.forEach(Disposable::dispose);
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private ReactiveDbRouter router(Function<RouterBuilder, RouterBuilder> customizer) {
        applicationName = "notify-it-" + UUID.randomUUID().toString().substring(0, 8);
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build()).build();
        router = customizer.apply(ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING)).build();
        return router;
    }

    private Queue<NotificationEvent> subscribe(String... channels) {
        Queue<NotificationEvent> events = new ConcurrentLinkedQueue<>();
        subscriptions.add(router.notifications(channels).subscribe(events::add));
        return events;
    }

    private long listenerBackends() {
        return Long.parseLong(cluster.psql(cluster.primary(), cluster.database(),
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + " listen'"));
    }

    private void notify(String channel, int from, int to) {
        router.write(s -> s.execute("SELECT pg_notify($1, g::text) FROM generate_series($2::int, $3::int) g", channel, from, to))
                .blockLast(WAIT);
    }

    private static long count(Queue<NotificationEvent> events, Class<? extends NotificationEvent> type) {
        return events.stream().filter(type::isInstance).count();
    }

    @Test
    void aThousandSubscribersOnThreeChannelsShareOneBackend() {
        router(Function.identity());
        String[] channels = {"orders", "Payments", "ship ments; DROP TABLE x"};
        List<Queue<NotificationEvent>> queues = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            queues.add(subscribe(channels[i % 3]));
        }
        Await.until("every subscriber listening", WAIT, () -> queues.stream().allMatch(q -> count(q, Listening.class) == 1));
        assertThat(listenerBackends()).isEqualTo(1);

        for (String channel : channels) {
            notify(channel, 1, 1);
        }
        Await.until("one notification each", WAIT, () -> queues.stream().allMatch(q -> count(q, Notification.class) == 1));
        for (int i = 0; i < queues.size(); i++) {
            Notification received = (Notification) queues.get(i).stream().filter(Notification.class::isInstance).findFirst().orElseThrow();
            assertThat(received.channel()).isEqualTo(channels[i % 3]);
            assertThat(received.payload()).isEqualTo("1");
            assertThat(received.pid()).isPositive();
        }
        assertThat(listenerBackends()).isEqualTo(1);
    }

    @Test
    void tenThousandNotificationsArriveInOrderAndNoneIsLost() {
        router(Function.identity());
        Queue<NotificationEvent> events = subscribe("bulk");
        Queue<NotificationEvent> other = subscribe("bulk", "other");
        Await.until("listening", WAIT, () -> count(events, Listening.class) == 1 && count(other, Listening.class) == 1);
        for (int batch = 0; batch < 10; batch++) {
            notify("bulk", batch * 1000 + 1, batch * 1000 + 1000);
        }
        Await.until("10,000 notifications", WAIT, () -> count(events, Notification.class) == 10_000 && count(other, Notification.class) == 10_000);
        for (Queue<NotificationEvent> received : List.of(events, other)) {
            List<String> payloads = received.stream().filter(Notification.class::isInstance).map(e -> ((Notification) e).payload()).toList();
            assertThat(payloads).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 10_000).mapToObj(String::valueOf).toList());
            assertThat(received).noneMatch(Gap.class::isInstance);
        }
    }

    @Test
    void aSlowSubscriberLosesOnlyItsOwnNewestNotificationsAndIsToldSo() {
        router(builder -> builder.notificationBuffer(10));
        Queue<NotificationEvent> fast = subscribe("slow-fast");
        Queue<NotificationEvent> slow = new ConcurrentLinkedQueue<>();
        BaseSubscriber<NotificationEvent> slowSubscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(1); // Listening only
            }

            @Override
            protected void hookOnNext(NotificationEvent event) {
                slow.add(event);
            }
        };
        router.notifications("slow-fast").subscribe(slowSubscriber);
        subscriptions.add(slowSubscriber);
        Await.until("listening", WAIT, () -> count(fast, Listening.class) == 1 && count(slow, Listening.class) == 1);

        notify("slow-fast", 1, 100);
        Await.until("the fast subscriber has all 100", WAIT, () -> count(fast, Notification.class) == 100);
        assertThat(slow).hasSize(1);
        slowSubscriber.request(Long.MAX_VALUE);
        Await.until("the slow subscriber's buffer and gap", WAIT, () -> slow.size() == 12);
        List<NotificationEvent> received = new ArrayList<>(slow);
        assertThat(received.subList(1, 11)).extracting(e -> ((Notification) e).payload())
                .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
        assertThat(received.get(11)).isInstanceOfSatisfying(Gap.class, gap -> assertThat(gap.reason()).isEqualTo(Gap.Reason.OVERFLOW));
        notify("slow-fast", 101, 101);
        Await.until("the slow subscriber receives again", WAIT, () -> slow.size() == 13);
    }

    @Test
    void aTerminatedListenerListensAgainAndReportsTheGap() {
        router(Function.identity());
        Queue<NotificationEvent> events = subscribe("survivor");
        Await.until("listening", WAIT, () -> count(events, Listening.class) == 1);
        notify("survivor", 1, 1);
        Await.until("first notification", WAIT, () -> count(events, Notification.class) == 1);

        long terminatedAt = System.nanoTime();
        cluster.psql(cluster.primary(), cluster.database(),
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + applicationName + " listen'");
        Await.until("a gap", WAIT, () -> count(events, Gap.class) == 1);
        Duration toGap = Duration.ofNanos(System.nanoTime() - terminatedAt);
        Gap gap = (Gap) events.stream().filter(Gap.class::isInstance).findFirst().orElseThrow();
        assertThat(gap.reason()).isEqualTo(Gap.Reason.CONNECTION_LOST);
        // At once, then the retry backoff: the first attempt needs no backoff on a running server.
        assertThat(toGap).isLessThan(Duration.ofSeconds(1).plus(RetrySettings.DEFAULT_MAX_DELAY));
        assertThat(listenerBackends()).isEqualTo(1);

        notify("survivor", 2, 3);
        Await.until("notifications again", WAIT, () -> count(events, Notification.class) == 3);
        assertThat(events).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("Listening", "Notification", "Gap", "Notification", "Notification");
    }

    @Test
    void channelNamesAreCheckedAndShutdownEndsTheStream() {
        router(Function.identity());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.notifications()).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.notifications("")).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.notifications("x".repeat(64))).isInstanceOf(IllegalArgumentException.class);
        Queue<NotificationEvent> events = subscribe("bye");
        Await.until("listening", WAIT, () -> count(events, Listening.class) == 1);
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        Await.until("no listener backend", WAIT, () -> listenerBackends() == 0);
        assertThat(subscriptions.get(0).isDisposed()).isTrue();
    }
}
