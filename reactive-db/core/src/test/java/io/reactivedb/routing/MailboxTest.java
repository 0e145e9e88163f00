package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.test.StepVerifier;

class MailboxTest {

    private static final Instant T = Instant.parse("2024-01-01T00:00:00Z");
    private final Mailbox mailbox = new Mailbox(Set.of("c"), 3, () -> T);
    private final Flux<NotificationEvent> events = Flux.create(mailbox::attach, FluxSink.OverflowStrategy.IGNORE);

    private static NotificationEvent.Notification n(int i) {
        return new NotificationEvent.Notification("c", String.valueOf(i), 42);
    }

    @Test
    void nothingBeforeListeningIsConfirmedThenWhatItIsOwedFirst() {
        NotificationEvent.Listening listening = new NotificationEvent.Listening(Set.of("c"), T);
        StepVerifier.create(events)
                .then(() -> {
                    mailbox.owe(listening);
                    mailbox.offer(n(0));
                    assertThat(mailbox.owes()).isTrue();
                    mailbox.pay();
                    mailbox.offer(n(1));
                })
                .expectNext(listening, n(1))
                .thenCancel()
                .verify();
    }

    @Test
    void aFullBufferDropsTheNewestAndQueuesOneGapBehindWhatItHolds() {
        NotificationEvent.Listening listening = new NotificationEvent.Listening(Set.of("c"), T);
        StepVerifier.create(events, 0)
                .then(() -> {
                    mailbox.owe(listening);
                    mailbox.pay();
                    for (int i = 1; i <= 5; i++) {
                        mailbox.offer(n(i));
                    }
                })
                .expectNoEvent(java.time.Duration.ZERO)
                .thenRequest(10)
                .expectNext(listening, n(1), n(2), new NotificationEvent.Gap(NotificationEvent.Gap.Reason.OVERFLOW, T))
                .then(() -> mailbox.offer(n(6)))
                .expectNext(n(6))
                .then(mailbox::complete)
                .verifyComplete();
    }

    @Test
    void aGapIsQueuedAgainWhenDropsFollowNewNotifications() {
        StepVerifier.create(events, 0)
                .then(() -> {
                    mailbox.owe(new NotificationEvent.Listening(Set.of("c"), T));
                    mailbox.pay();
                    for (int i = 1; i <= 3; i++) {
                        mailbox.offer(n(i)); // n(3) dropped: Listening, n1, n2, Gap
                    }
                })
                .thenRequest(2) // Listening, n1: room again
                .expectNextCount(2)
                .then(() -> {
                    mailbox.offer(n(4)); // n2, Gap, n4
                    mailbox.offer(n(5)); // full: a second gap behind n4
                })
                .thenRequest(10)
                .expectNext(n(2), new NotificationEvent.Gap(NotificationEvent.Gap.Reason.OVERFLOW, T), n(4),
                        new NotificationEvent.Gap(NotificationEvent.Gap.Reason.OVERFLOW, T))
                .thenCancel()
                .verify();
    }
}
