package io.reactivedb.web.admin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.CredentialsContainer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Checks HTTP Basic credentials against a password hash that is slow by design (BCrypt), so
 * that a burst of callers costs the service neither its event loops nor its CPU:
 *
 * <ol>
 *   <li>a success is remembered for {@code reactive-db.admin.verified-credentials-ttl} (default
 *       30 s), keyed by an HMAC-SHA256 of the presented user and password under a key drawn at
 *       startup (never the password), at most {@value #MAX_REMEMBERED} entries; failures are not;</li>
 *   <li>callers presenting the same credentials while they are being checked share the one
 *       check;</li>
 *   <li>a new check first takes one from the client's failed-authentication allowance
 *       ({@link AdminRateLimitFilter.Attempt}, from the Reactor Context), given back when the
 *       check succeeds: a client over its limit is refused (429) before anything is hashed,
 *       however many of its requests arrive at once;</li>
 *   <li>hashes run on {@code hashing}, a small bounded worker, never on an event loop; at most
 *       {@value #CHECKS_PER_CLIENT} checks of one client (429 beyond, so one client's guesses
 *       cannot fill the queue in front of everyone else's) and {@code maxPending} in all wait or
 *       run there, and one more is refused at once (503) rather than queued.</li>
 * </ol>
 *
 * <p>Expiry is read from {@code clock}, so tests run it on virtual time.
 */
final class CredentialCheck implements ReactiveAuthenticationManager {

    /** Successful credentials remembered at most; beyond, expired ones are swept, then nothing new is kept. */
    static final int MAX_REMEMBERED = 1_000;
    /** Checks of distinct credentials one client may have hashing or queued at once; one more is 429. */
    static final int CHECKS_PER_CLIENT = 2;

    private final ReactiveAuthenticationManager hashing;
    private final Scheduler clock;
    private final long ttlNanos;
    private final int maxPending;
    private final SecretKeySpec digestKey;
    private final ConcurrentHashMap<String, Remembered> remembered = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Mono<Authentication>> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> checksByClient = new ConcurrentHashMap<>();
    private final Disposable worker;

    private record Remembered(Authentication authentication, long expiresAtNanos) {
    }

    /** A check refused before it ran: the client is over its limit (429) or the hash worker is full (503). */
    static final class Refused extends AuthenticationException {
        private final int status;
        private final Duration retryAfter;

        Refused(int status, Duration retryAfter, String reason) {
            super(reason);
            this.status = status;
            this.retryAfter = retryAfter;
        }

        int status() {
            return status;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }

    /**
     * @param hashing the manager that loads the user and compares the hash, publishing on the
     *     bounded hash worker (Spring's {@code UserDetailsRepositoryReactiveAuthenticationManager}
     *     with {@code setScheduler})
     * @param clock the time of expiry
     * @param ttl how long a success is remembered; zero remembers nothing
     * @param maxPending checks running or queued on the hash worker at most, >= 1
     * @param worker the hash worker, disposed by {@link #close}
     */
    CredentialCheck(ReactiveAuthenticationManager hashing, Scheduler clock, Duration ttl, int maxPending, Disposable worker) {
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be >= 0 but was " + ttl);
        }
        if (maxPending < 1) {
            throw new IllegalArgumentException("maxPending must be >= 1 but was " + maxPending);
        }
        this.hashing = Objects.requireNonNull(hashing, "hashing");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ttlNanos = ttl.toNanos();
        this.maxPending = maxPending;
        this.worker = Objects.requireNonNull(worker, "worker");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.digestKey = new SecretKeySpec(key, "HmacSHA256");
    }

    @Override
    public Mono<Authentication> authenticate(Authentication presented) {
        if (!(presented instanceof UsernamePasswordAuthenticationToken) || presented.getCredentials() == null) {
            return hashing.authenticate(presented);
        }
        return Mono.deferContextual(context -> {
            String digest = digest(presented.getName(), presented.getCredentials().toString());
            long now = clock.now(TimeUnit.NANOSECONDS);
            Remembered known = remembered.get(digest);
            if (known != null) {
                if (known.expiresAtNanos() - now > 0) {
                    return Mono.just(known.authentication());
                }
                remembered.remove(digest, known);
            }
            Mono<Authentication> running = inFlight.get(digest);
            if (running != null) {
                return running;
            }
            AdminRateLimitFilter.Attempt attempt = context.getOrDefault(AdminRateLimitFilter.Attempt.class, null);
            String client = attempt == null ? "unknown" : attempt.client();
            if (!claim(client)) {
                return Mono.error(new Refused(429, Duration.ofSeconds(1), "a credential check from this client is already running"));
            }
            if (attempt != null) {
                Duration wait = attempt.reserve();
                if (!wait.isZero()) {
                    release(client);
                    return Mono.error(new Refused(429, wait, "too many failed authentications from this client"));
                }
            }
            if (pending.incrementAndGet() > maxPending) {
                pending.decrementAndGet();
                release(client);
                if (attempt != null) {
                    attempt.refund();
                }
                return Mono.error(new Refused(503, Duration.ofSeconds(1), "credential checks are busy"));
            }
            Mono<Authentication> check = start(digest, presented, client);
            Mono<Authentication> raced = inFlight.putIfAbsent(digest, check);
            if (raced != null) {
                // Another caller started the same check between our look and now: share theirs.
                pending.decrementAndGet();
                release(client);
                if (attempt != null) {
                    attempt.refund();
                }
                return raced;
            }
            return attempt == null ? check : check.doOnNext(success -> attempt.refund());
        });
    }

    /** The shared check: hashed once however many callers wait for it, forgotten when it ends. */
    private Mono<Authentication> start(String digest, Authentication presented, String client) {
        Mono<Authentication>[] self = new Mono[1];
        self[0] = hashing.authenticate(presented)
                .map(success -> remember(digest, success))
                .doFinally(signal -> {
                    inFlight.remove(digest, self[0]);
                    pending.decrementAndGet();
                    release(client);
                })
                .cache();
        return self[0];
    }

    /** Takes one of the client's {@value #CHECKS_PER_CLIENT} slots on the hash worker, if one is free. */
    private boolean claim(String client) {
        boolean[] claimed = {false};
        checksByClient.compute(client, (key, running) -> {
            int now = running == null ? 0 : running;
            claimed[0] = now < CHECKS_PER_CLIENT;
            return claimed[0] ? now + 1 : now;
        });
        return claimed[0];
    }

    private void release(String client) {
        checksByClient.computeIfPresent(client, (key, running) -> running <= 1 ? null : running - 1);
    }

    /** The success as every caller sees it (who and what roles, without the stored hash), remembered when there is room. */
    private Authentication remember(String digest, Authentication success) {
        // The user record is a copy per check: erasing its hash touches no one else.
        if (success.getPrincipal() instanceof CredentialsContainer user) {
            user.eraseCredentials();
        }
        Authentication kept = UsernamePasswordAuthenticationToken.authenticated(success.getPrincipal(), null, success.getAuthorities());
        if (ttlNanos == 0) {
            return kept;
        }
        long now = clock.now(TimeUnit.NANOSECONDS);
        if (remembered.size() >= MAX_REMEMBERED) {
            remembered.values().removeIf(entry -> entry.expiresAtNanos() - now <= 0);
            if (remembered.size() >= MAX_REMEMBERED) {
                return kept;
            }
        }
        remembered.put(digest, new Remembered(kept, now + ttlNanos));
        return kept;
    }

    private String digest(String user, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(digestKey);
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return Base64.getEncoder().encodeToString(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Stops the hash worker (at shutdown). */
    void close() {
        worker.dispose();
    }

    /** Successful credentials remembered now (for tests). */
    int rememberedCount() {
        return remembered.size();
    }
}
