package io.reactivedb.web.demo;

import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Flux;

/**
 * How many streaming responses one client may have open at once
 * ({@code reactive-db.demo.max-streams-per-client}, default {@value #DEFAULT_MAX_PER_CLIENT}); one
 * more is refused with 429 and {@code Retry-After: 1} before any database work. A client is its
 * remote address as the server sees it: forwarded headers are not trusted here.
 */
@Component
public class StreamLimits {

    static final int DEFAULT_MAX_PER_CLIENT = 4;

    private final int maxPerClient;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public StreamLimits(@Value("${reactive-db.demo.max-streams-per-client:" + DEFAULT_MAX_PER_CLIENT + "}") int maxPerClient) {
        if (maxPerClient < 1) {
            throw new IllegalArgumentException("reactive-db.demo.max-streams-per-client must be >= 1 but was " + maxPerClient);
        }
        this.maxPerClient = maxPerClient;
    }

    /** The client's key: its address without the port, or "unknown". */
    public static String client(@Nullable InetSocketAddress remote) {
        return remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
    }

    /**
     * The stream, counted against {@code client} from its subscription until it completes, fails or
     * is cancelled; a subscription over the limit fails with {@link TooManyStreams}.
     */
    public <T> Flux<T> limited(String client, Supplier<Flux<T>> stream) {
        return Flux.defer(() -> {
            if (!tryOpen(client)) {
                return Flux.error(new TooManyStreams(maxPerClient));
            }
            AtomicBoolean closed = new AtomicBoolean();
            return stream.get().doFinally(signal -> {
                if (closed.compareAndSet(false, true)) {
                    open.computeIfPresent(client, (key, count) -> count <= 1 ? null : count - 1);
                }
            });
        });
    }

    /** Streams open now for {@code client}. */
    public int open(String client) {
        return open.getOrDefault(client, 0);
    }

    private boolean tryOpen(String client) {
        boolean[] admitted = {false};
        open.compute(client, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= maxPerClient) {
                return count;
            }
            admitted[0] = true;
            return now + 1;
        });
        return admitted[0];
    }

    /** 429: the client has as many streams open as it may. */
    public static final class TooManyStreams extends ResponseStatusException {

        TooManyStreams(int max) {
            super(HttpStatus.TOO_MANY_REQUESTS, "at most " + max + " streaming requests per client at once");
        }

        @Override
        public HttpHeaders getHeaders() {
            HttpHeaders headers = new HttpHeaders();
            headers.set(HttpHeaders.RETRY_AFTER, "1");
            return headers;
        }
    }
}
