package io.reactivedb.web.demo;

import java.time.Instant;
import java.util.UUID;

/** A committed transfer of {@code amount} cents from one account to another. */
public record Transfer(UUID id, long from, long to, long amount, Instant createdAt) {
}
