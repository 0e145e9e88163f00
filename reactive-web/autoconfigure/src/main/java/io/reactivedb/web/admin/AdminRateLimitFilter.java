package io.reactivedb.web.admin;

import io.reactivedb.web.ApiProblems;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import java.time.Duration;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Rate limits per client address, applied before authentication, each
 * {@code reactive-db.admin.rate-limit-requests} per {@code rate-limit-period} (default 10 per
 * minute), then 429 with {@code Retry-After}:
 *
 * <ul>
 *   <li>admin operations: every call, whoever makes it;</li>
 *   <li>failed authentications, on every route: a request with credentials answered 401 takes one
 *       from its client's allowance; with none left, every request of that client that carries
 *       credentials is refused before its password is checked, the right password included.
 *       Requests without credentials are not counted (public routes stay open), nor are
 *       successful ones (a scraper is not throttled). A password check takes its one before it
 *       hashes ({@link Attempt}, through the Reactor Context to {@link CredentialCheck}), so
 *       concurrent requests cannot all pass the check here and then all be hashed.</li>
 * </ul>
 *
 * <p>Paths are matched as the router dispatches them ({@link AdminPaths#operation}), so an
 * encoded or parameterised spelling of an operation is limited and audited as the operation.
 */
@Component
public class AdminRateLimitFilter implements WebFilter, Ordered {

    static final String AUTHENTICATE = "authenticate";

    private final RateLimiter operations;
    private final RateLimiter failedAuthentications;
    private final AdminAudit audit;

    public AdminRateLimitFilter(ReactiveDbProperties properties, @Qualifier("reactiveDbWebScheduler") Scheduler clock, AdminAudit audit) {
        ReactiveDbProperties.Admin admin = properties.getAdmin();
        this.operations = new RateLimiter(admin.getRateLimitRequests(), admin.getRateLimitPeriod(), clock);
        this.failedAuthentications = new RateLimiter(admin.getRateLimitRequests(), admin.getRateLimitPeriod(), clock);
        this.audit = audit;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String client = AdminAudit.client(exchange);
        Optional<String> operation = AdminPaths.operation(exchange.getRequest());
        if (operation.isPresent()) {
            RateLimiter.Decision decision = operations.tryAcquire(client);
            if (!decision.allowed()) {
                return refuse(exchange, operation.get(), decision, "admin operations are rate limited");
            }
        }
        if (!exchange.getRequest().getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)) {
            return chain.filter(exchange);
        }
        RateLimiter.Decision decision = failedAuthentications.peek(client);
        if (!decision.allowed()) {
            return refuse(exchange, operation.orElse(AUTHENTICATE), decision, "too many failed authentications from this client");
        }
        Attempt attempt = new Attempt(failedAuthentications, client);
        exchange.getResponse().beforeCommit(() -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            if (status != null && status.value() == HttpStatus.UNAUTHORIZED.value() && !attempt.counted()) {
                failedAuthentications.tryAcquire(client);
            }
            return Mono.empty();
        });
        return chain.filter(exchange).contextWrite(context -> context.put(Attempt.class, attempt));
    }

    /**
     * One request's claim on its client's failed-authentication allowance, handed to
     * {@link CredentialCheck} through the Reactor Context: a check that will hash takes one
     * beforehand ({@link #reserve}) and gives it back when the credentials were right
     * ({@link #refund}). A 401 that took none (credentials shared with a check already running,
     * an unparseable header) takes one when answered.
     */
    static final class Attempt {
        private final RateLimiter limiter;
        private final String client;
        private volatile boolean counted;

        Attempt(RateLimiter limiter, String client) {
            this.limiter = limiter;
            this.client = client;
        }

        /** Takes one from the allowance: zero when taken, else the wait until one is free. */
        Duration reserve() {
            RateLimiter.Decision decision = limiter.tryAcquire(client);
            counted = decision.allowed();
            return decision.retryAfter();
        }

        void refund() {
            if (counted) {
                counted = false;
                limiter.refund(client);
            }
        }

        boolean counted() {
            return counted;
        }

        String client() {
            return client;
        }
    }

    private Mono<Void> refuse(ServerWebExchange exchange, String operation, RateLimiter.Decision decision, String why) {
        return problem(exchange, audit, operation, HttpStatus.TOO_MANY_REQUESTS, decision.retryAfter(), why);
    }

    /** Answers a refusal (429 or 503) as a problem with {@code Retry-After}, and audits it. */
    static Mono<Void> problem(ServerWebExchange exchange, AdminAudit audit, String operation, HttpStatus status, Duration retryAfter, String why) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        audit.record(exchange, "unknown", operation, "-", "refused: " + status.value());
        exchange.getResponse().getHeaders().set("Retry-After", Long.toString(seconds));
        boolean limited = status == HttpStatus.TOO_MANY_REQUESTS;
        return ApiProblems.respond(exchange, status, limited ? "rate-limited" : "busy", limited ? "Too many requests" : "Server busy",
                why + "; retry after " + seconds + " s");
    }

    @Override
    public int getOrder() {
        // Before Spring Security's filter chain (order -100).
        return -200;
    }
}
