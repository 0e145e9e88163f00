package io.reactivedb.web.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UserDetailsRepositoryReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

class CredentialCheckTest {

    private static final Duration TTL = Duration.ofSeconds(30);

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final BCryptPasswordEncoder bcrypt = new BCryptPasswordEncoder(4);
    private final AtomicInteger hashes = new AtomicInteger();
    private final PasswordEncoder counting = new PasswordEncoder() {
        @Override
        public String encode(CharSequence raw) {
            return bcrypt.encode(raw);
        }

        @Override
        public boolean matches(CharSequence raw, String encoded) {
            hashes.incrementAndGet();
            return bcrypt.matches(raw, encoded);
        }
    };
    private final UserDetails admin = User.withUsername("admin").password(bcrypt.encode("right")).roles("ADMIN").build();
    private final RateLimiter failures = new RateLimiter(3, Duration.ofMinutes(1), clock);

    private CredentialCheck check;

    @AfterEach
    void close() {
        if (check != null) {
            check.close();
        }
    }

    private CredentialCheck check(int maxPending) {
        UserDetailsRepositoryReactiveAuthenticationManager hashing =
                new UserDetailsRepositoryReactiveAuthenticationManager(name -> Mono.just(User.withUserDetails(admin).build()));
        hashing.setPasswordEncoder(counting);
        hashing.setScheduler(Schedulers.immediate());
        check = new CredentialCheck(hashing, clock, TTL, maxPending, Schedulers.immediate());
        return check;
    }

    private Mono<Authentication> authenticate(CredentialCheck check, String password, AdminRateLimitFilter.Attempt attempt) {
        Mono<Authentication> result = check.authenticate(UsernamePasswordAuthenticationToken.unauthenticated("admin", password));
        return attempt == null ? result : result.contextWrite(Context.of(AdminRateLimitFilter.Attempt.class, attempt));
    }

    private AdminRateLimitFilter.Attempt attempt() {
        return new AdminRateLimitFilter.Attempt(failures, "10.0.0.1");
    }

    @Test
    void aSuccessIsRememberedUntilItsTimeIsUpAndThenHashedAgain() {
        CredentialCheck check = check(8);
        StepVerifier.create(authenticate(check, "right", attempt()))
                .assertNext(auth -> {
                    assertThat(auth.isAuthenticated()).isTrue();
                    assertThat(auth.getCredentials()).isNull();
                })
                .verifyComplete();
        for (int i = 0; i < 5; i++) {
            StepVerifier.create(authenticate(check, "right", attempt())).expectNextCount(1).verifyComplete();
        }
        assertThat(hashes).hasValue(1);
        // Successes do not spend the client's failure allowance.
        assertThat(failures.peek("10.0.0.1").allowed()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(failures.tryAcquire("10.0.0.1").allowed()).isTrue();
        }

        clock.advanceTimeBy(TTL);
        StepVerifier.create(authenticate(check, "right", null)).expectNextCount(1).verifyComplete();
        assertThat(hashes).hasValue(2);
    }

    @Test
    void failuresAreNotRememberedAndEachSpendsTheAllowanceBeforeItIsHashed() {
        CredentialCheck check = check(8);
        for (int i = 0; i < 3; i++) {
            StepVerifier.create(authenticate(check, "guess-" + i, attempt())).verifyError(BadCredentialsException.class);
        }
        assertThat(hashes).hasValue(3);
        AdminRateLimitFilter.Attempt over = attempt();
        StepVerifier.create(authenticate(check, "right", over))
                .verifyErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(CredentialCheck.Refused.class);
                    assertThat(((CredentialCheck.Refused) error).status()).isEqualTo(429);
                    assertThat(((CredentialCheck.Refused) error).retryAfter()).isEqualTo(Duration.ofSeconds(20));
                });
        assertThat(hashes).as("refused before hashing").hasValue(3);
        assertThat(over.counted()).isFalse();
        assertThat(check.rememberedCount()).isZero();
    }

    @Test
    void callersPresentingTheSameCredentialsShareOneCheck() {
        Sinks.One<UserDetails> user = Sinks.one();
        UserDetailsRepositoryReactiveAuthenticationManager hashing = new UserDetailsRepositoryReactiveAuthenticationManager(name -> user.asMono());
        hashing.setPasswordEncoder(counting);
        hashing.setScheduler(Schedulers.immediate());
        check = new CredentialCheck(hashing, clock, TTL, 1, Schedulers.immediate());
        AtomicInteger answered = new AtomicInteger();
        for (int i = 0; i < 50; i++) {
            authenticate(check, "right", attempt()).subscribe(auth -> answered.incrementAndGet());
        }
        // A different password from another client while the one check (the only pending slot) runs: the worker is full.
        StepVerifier.create(authenticate(check, "other", new AdminRateLimitFilter.Attempt(failures, "10.0.0.2")))
                .verifyErrorSatisfies(error -> assertThat(((CredentialCheck.Refused) error).status()).isEqualTo(503));
        user.tryEmitValue(User.withUserDetails(admin).build());
        assertThat(answered).hasValue(50);
        assertThat(hashes).hasValue(1);
        // The 503 gave its reservation back, and the success too: the allowances are whole.
        for (int i = 0; i < 3; i++) {
            assertThat(failures.tryAcquire("10.0.0.1").allowed()).isTrue();
            assertThat(failures.tryAcquire("10.0.0.2").allowed()).isTrue();
        }
    }

    @Test
    void oneClientHasAtMostTwoChecksHashingAtOnce() {
        Sinks.One<UserDetails> user = Sinks.one();
        UserDetailsRepositoryReactiveAuthenticationManager hashing = new UserDetailsRepositoryReactiveAuthenticationManager(name -> user.asMono());
        hashing.setPasswordEncoder(counting);
        hashing.setScheduler(Schedulers.immediate());
        check = new CredentialCheck(hashing, clock, TTL, 8, Schedulers.immediate());
        authenticate(check, "guess-1", attempt()).subscribe(auth -> { }, error -> { });
        authenticate(check, "guess-2", attempt()).subscribe(auth -> { }, error -> { });
        StepVerifier.create(authenticate(check, "guess-3", attempt()))
                .verifyErrorSatisfies(error -> assertThat(((CredentialCheck.Refused) error).status()).isEqualTo(429));
        // Another client still gets its check.
        AtomicInteger other = new AtomicInteger();
        authenticate(check, "right", new AdminRateLimitFilter.Attempt(failures, "10.0.0.2")).subscribe(auth -> other.incrementAndGet());
        user.tryEmitValue(User.withUserDetails(admin).build());
        assertThat(other).hasValue(1);
        assertThat(hashes).hasValue(3);
        // Slots are given back when the checks end.
        StepVerifier.create(authenticate(check, "guess-4", attempt())).verifyError(BadCredentialsException.class);
    }

    @Test
    void rememberedSuccessesAreBounded() {
        CredentialCheck check = new CredentialCheck(new UsernamePasswordAcceptor(), clock, TTL, 8, Schedulers.immediate());
        this.check = check;
        for (int i = 0; i < CredentialCheck.MAX_REMEMBERED + 50; i++) {
            StepVerifier.create(authenticate(check, "p" + i, null)).expectNextCount(1).verifyComplete();
        }
        assertThat(check.rememberedCount()).isEqualTo(CredentialCheck.MAX_REMEMBERED);
        clock.advanceTimeBy(TTL);
        StepVerifier.create(authenticate(check, "fresh", null)).expectNextCount(1).verifyComplete();
        assertThat(check.rememberedCount()).isEqualTo(1);
    }

    /** Accepts any password without hashing: the bound is about the table, not the hash. */
    private static final class UsernamePasswordAcceptor implements org.springframework.security.authentication.ReactiveAuthenticationManager {
        @Override
        public Mono<Authentication> authenticate(Authentication authentication) {
            return Mono.just(UsernamePasswordAuthenticationToken.authenticated(authentication.getName(), null, java.util.List.of()));
        }
    }
}
