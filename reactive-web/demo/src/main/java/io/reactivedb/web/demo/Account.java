package io.reactivedb.web.demo;

import java.time.Instant;

/** An account of the demo domain: {@code balance} in cents, never negative (a check constraint). */
public record Account(long id, String owner, long balance, Instant createdAt) {
}
