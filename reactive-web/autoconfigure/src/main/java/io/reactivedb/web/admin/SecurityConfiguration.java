package io.reactivedb.web.admin;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.web.autoconfigure.ReactiveDbAutoConfiguration.ResolvedDatabase;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties.ReadAccess;
import io.reactivedb.web.health.StatusPage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UserDetailsRepositoryReactiveAuthenticationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.ReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authentication.HttpBasicServerAuthenticationEntryPoint;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.reactive.CorsConfigurationSource;
import org.springframework.web.cors.reactive.UrlBasedCorsConfigurationSource;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The admin surface's security: HTTP Basic against one admin user from configuration, stateless
 * (no session, no CSRF token: nothing rides on cookies), CORS closed unless origins are listed.
 *
 * <ul>
 *   <li>Admin operations ({@code /api/database/reconnect}, {@code /test}) exist only with
 *       {@code reactive-db.admin.enabled=true}, and then need the admin user.</li>
 *   <li>Read-only diagnostics ({@code /api/database/info}, {@code slow-queries}, {@code endpoints},
 *       {@code /actuator/prometheus}): {@code reactive-db.web.read-endpoints}, default authenticated.
 *       The Prometheus scrape is also anonymous from loopback addresses when
 *       {@code reactive-db.web.prometheus-loopback-anonymous} is on (default outside production mode).</li>
 *   <li>Health ({@code /health/database}, its stream, {@code /actuator/health}) and the status page
 *       ({@code /}, {@code /status}) are public; details need authentication unless configured otherwise.</li>
 *   <li>The demo API is public.</li>
 * </ul>
 *
 * <p>In production mode the admin user needs a configured password; otherwise an unset one is
 * generated and written to {@code reactive-db.admin.password-file} (owner-only), never logged.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
public class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);
    static final String ADMIN_ROLE = "ADMIN";
    private static final int GENERATED_PASSWORD_LENGTH = 24;
    static final int PENDING_CHECKS_PER_THREAD = 8;
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    /**
     * Credential checks: remembered successes, one check per distinct credentials at a time, the
     * client's failed-authentication allowance taken before hashing, and the hashes on a worker of
     * half the processors (at least one) with at most {@value #PENDING_CHECKS_PER_THREAD} checks
     * per thread waiting or running; the event loops and the rest of the CPU stay free.
     */
    @Bean(destroyMethod = "close")
    CredentialCheck reactiveDbCredentialCheck(ReactiveUserDetailsService users, ReactiveDbProperties properties,
                                              @Qualifier("reactiveDbWebScheduler") Scheduler clock) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        int pending = threads * PENDING_CHECKS_PER_THREAD;
        Scheduler worker = Schedulers.newBoundedElastic(threads, pending, "reactive-db-credentials");
        UserDetailsRepositoryReactiveAuthenticationManager hashing = new UserDetailsRepositoryReactiveAuthenticationManager(users);
        hashing.setScheduler(worker);
        return new CredentialCheck(hashing, clock, properties.getAdmin().getVerifiedCredentialsTtl(), pending, worker);
    }

    @Bean
    SecurityWebFilterChain reactiveDbSecurity(ServerHttpSecurity http, ReactiveDbProperties properties, AdminAudit audit,
                                              CredentialCheck credentials,
                                              ResolvedDatabase database) {
        ReadAccess read = properties.getWeb().getReadEndpoints();
        Boolean loopbackScrape = properties.getWeb().getPrometheusLoopbackAnonymous();
        boolean anonymousLocalScrape = read != ReadAccess.OFF && (loopbackScrape != null ? loopbackScrape : !database.production());
        boolean admin = properties.getAdmin().isEnabled();
        String[] readOnly = AdminPaths.READ_ONLY.toArray(String[]::new);
        String[] operations = AdminPaths.OPERATIONS.toArray(String[]::new);
        HttpBasicServerAuthenticationEntryPoint basic = new HttpBasicServerAuthenticationEntryPoint();
        basic.setRealm("reactive-db");
        ServerAuthenticationEntryPoint unauthorized = (exchange, denied) -> {
            AdminPaths.operation(exchange.getRequest()).ifPresent(operation ->
                    audit.record(exchange, "anonymous", operation, "-", "refused: " + HttpStatus.UNAUTHORIZED.value()));
            return basic.commence(exchange, denied);
        };
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .cors(cors -> cors.configurationSource(cors(properties.getWeb().getCorsAllowedOrigins())))
                .httpBasic(basicSpec -> basicSpec
                        .authenticationManager(credentials)
                        .authenticationEntryPoint(unauthorized)
                        .authenticationFailureHandler((filterExchange, failure) -> {
                            ServerWebExchange exchange = filterExchange.getExchange();
                            if (failure instanceof CredentialCheck.Refused refused) {
                                String operation = AdminPaths.operation(exchange.getRequest()).orElse(AdminRateLimitFilter.AUTHENTICATE);
                                return AdminRateLimitFilter.problem(exchange, audit, operation, HttpStatus.valueOf(refused.status()),
                                        refused.retryAfter(), refused.getMessage());
                            }
                            return unauthorized.commence(exchange, failure);
                        }))
                .authorizeExchange(rules -> {
                    if (anonymousLocalScrape) {
                        rules.matchers(SecurityConfiguration::localScrape).permitAll();
                    }
                    if (admin) {
                        rules.pathMatchers(operations).hasRole(ADMIN_ROLE);
                    } else {
                        // Off: no handler is mapped, so these answer 404 like any unknown path.
                        rules.pathMatchers(operations).permitAll();
                    }
                    switch (read) {
                        case PUBLIC -> rules.pathMatchers(readOnly).permitAll();
                        case AUTHENTICATED -> rules.pathMatchers(readOnly).hasRole(ADMIN_ROLE);
                        case OFF -> rules.pathMatchers(readOnly).denyAll();
                    }
                    rules.pathMatchers("/actuator/health", "/actuator/health/**").permitAll();
                    // The status page: public; what it shows is what its caller may see of /health/database/stream.
                    rules.pathMatchers(HttpMethod.GET, StatusPage.PATHS).permitAll();
                    rules.pathMatchers("/actuator/**").hasRole(ADMIN_ROLE);
                    rules.anyExchange().permitAll();
                })
                .build();
    }

    /** A GET of the Prometheus scrape from a loopback address (the socket's peer: forwarding headers are not trusted here). */
    private static Mono<ServerWebExchangeMatcher.MatchResult> localScrape(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        InetSocketAddress remote = request.getRemoteAddress();
        boolean local = request.getMethod() == HttpMethod.GET && AdminPaths.PROMETHEUS.equals(request.getPath().pathWithinApplication().value())
                && remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
        return local ? ServerWebExchangeMatcher.MatchResult.match() : ServerWebExchangeMatcher.MatchResult.notMatch();
    }

    private static CorsConfigurationSource cors(List<String> allowedOrigins) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (allowedOrigins.isEmpty()) {
            // Closed: no origin is allowed, so browsers refuse cross-origin calls and preflights get 403.
            CorsConfiguration closed = new CorsConfiguration();
            closed.setAllowedOrigins(List.of());
            source.registerCorsConfiguration("/**", closed);
            return source;
        }
        CorsConfiguration open = new CorsConfiguration();
        open.setAllowedOrigins(allowedOrigins);
        open.setAllowedMethods(List.of("GET", "POST"));
        open.setAllowedHeaders(List.of("Content-Type", "Authorization", "X-Consistency-Token"));
        open.setExposedHeaders(List.of("X-Consistency-Token", "Location", "Retry-After"));
        source.registerCorsConfiguration("/**", open);
        return source;
    }

    /**
     * The admin user, or no user at all when the admin surface is off. Replaces Spring Boot's
     * default user, whose generated password would be logged.
     */
    @Bean
    ReactiveUserDetailsService reactiveDbUsers(ReactiveDbProperties properties, ResolvedDatabase database) {
        ReactiveDbProperties.Admin admin = properties.getAdmin();
        if (!admin.isEnabled()) {
            return username -> Mono.empty();
        }
        if (admin.getUsername() == null || admin.getUsername().isBlank()) {
            throw new ConfigurationException("reactive-db.admin.username", "must not be blank");
        }
        String password = admin.getPassword();
        if (password == null || password.isEmpty()) {
            if (database.production()) {
                throw new ConfigurationException("reactive-db.admin.password",
                        "is required in production mode when reactive-db.admin.enabled is true (no default password)");
            }
            password = generatePassword(Path.of(admin.getPasswordFile()));
        }
        PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        String encoded = password.startsWith("{") && password.indexOf('}') > 1 ? password : encoder.encode(password);
        UserDetails user = User.withUsername(admin.getUsername()).password(encoded).roles(ADMIN_ROLE).build();
        String name = user.getUsername();
        return username -> name.equals(username) ? Mono.just(User.withUserDetails(user).build()) : Mono.empty();
    }

    private static String generatePassword(Path file) {
        SecureRandom random = new SecureRandom();
        StringBuilder password = new StringBuilder(GENERATED_PASSWORD_LENGTH);
        for (int i = 0; i < GENERATED_PASSWORD_LENGTH; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        try {
            Path absolute = file.toAbsolutePath();
            Files.createDirectories(absolute.getParent());
            Files.deleteIfExists(absolute);
            Files.createFile(absolute, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(absolute, password + "\n", StandardCharsets.UTF_8);
            log.info("Admin surface on outside production mode without reactive-db.admin.password: generated a password in {}", absolute);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the generated admin password to " + file.toAbsolutePath(), e);
        }
        return password.toString();
    }
}
