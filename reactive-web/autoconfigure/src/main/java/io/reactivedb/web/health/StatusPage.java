package io.reactivedb.web.health;

import java.nio.charset.StandardCharsets;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The live status page: {@code GET /} and {@code GET /status} serve one HTML page, its script and
 * style sheet are {@code /status/status.js} and {@code /status/status.css}. The page reads
 * {@code /health/database/stream} with the browser's {@code EventSource}, so it shows what the
 * caller may see there ({@link HealthAccess}): the status alone for anonymous callers unless
 * details are public.
 *
 * <p>The files live beside this class ({@code io/reactivedb/web/health/status/}), not in
 * {@code static/}, so the page does not depend on the application's static-resource settings;
 * only these four paths are mapped.
 * The page is served with a Content-Security-Policy that allows its own script, style and
 * same-origin requests only.
 */
@Configuration(proxyBeanMethods = false)
public class StatusPage {

    /** Public paths of the page and its files, for the security rules. */
    public static final String[] PATHS = {"/", "/status", "/status/status.js", "/status/status.css"};

    static final String FILES = "io/reactivedb/web/health/status/";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    @Bean
    RouterFunction<ServerResponse> reactiveDbStatusPage() {
        Resource page = new ClassPathResource(FILES + "index.html");
        Resource script = new ClassPathResource(FILES + "status.js");
        Resource style = new ClassPathResource(FILES + "status.css");
        return RouterFunctions.route()
                .GET("/", request -> page(page))
                .GET("/status", request -> page(page))
                .GET("/status/status.js", request -> file(script, new MediaType("text", "javascript", StandardCharsets.UTF_8)))
                .GET("/status/status.css", request -> file(style, new MediaType("text", "css", StandardCharsets.UTF_8)))
                .build();
    }

    private static Mono<ServerResponse> page(Resource page) {
        return ServerResponse.ok()
                .contentType(new MediaType(MediaType.TEXT_HTML, StandardCharsets.UTF_8))
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .bodyValue(page);
    }

    private static Mono<ServerResponse> file(Resource file, MediaType type) {
        return ServerResponse.ok().contentType(type).bodyValue(file);
    }
}
