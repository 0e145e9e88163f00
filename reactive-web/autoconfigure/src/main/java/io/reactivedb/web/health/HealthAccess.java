package io.reactivedb.web.health;

import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties.HealthDetails;
import java.security.Principal;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Whether a caller sees health details: always, never, or only when authenticated
 * ({@code reactive-db.web.health-details}, default {@code when-authorized}). Anonymous callers
 * otherwise see the status alone.
 */
@Component
public class HealthAccess {

    private final HealthDetails details;

    public HealthAccess(ReactiveDbProperties properties) {
        this.details = properties.getWeb().getHealthDetails();
    }

    public Mono<Boolean> showDetails(ServerWebExchange exchange) {
        return switch (details) {
            case ALWAYS -> Mono.just(true);
            case NEVER -> Mono.just(false);
            case WHEN_AUTHORIZED -> exchange.getPrincipal().map(HealthAccess::isAuthenticated).defaultIfEmpty(false);
        };
    }

    private static boolean isAuthenticated(Principal principal) {
        return principal instanceof Authentication authentication && authentication.isAuthenticated();
    }
}
