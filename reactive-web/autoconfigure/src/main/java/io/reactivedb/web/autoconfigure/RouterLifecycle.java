package io.reactivedb.web.autoconfigure;

import io.reactivedb.routing.ReactiveDbRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Shuts the router down gracefully when Spring stops: after the web server has stopped taking
 * requests (a lower phase stops later), in-flight work finishes within the router's shutdown
 * timeout and then the pools close. Beans (the embedded database among them) are destroyed only
 * after every lifecycle phase has stopped.
 */
final class RouterLifecycle implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RouterLifecycle.class);

    private final ReactiveDbRouter router;
    private volatile boolean running;

    RouterLifecycle(ReactiveDbRouter router) {
        this.router = router;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop(Runnable callback) {
        router.shutdown().doFinally(signal -> {
            running = false;
            callback.run();
        }).subscribe(done -> { }, error -> log.warn("Router shutdown failed: {}", error.toString()));
    }

    @Override
    public void stop() {
        throw new UnsupportedOperationException("stopped asynchronously through stop(Runnable)");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // Below the web server's graceful-shutdown phase, so the server drains first.
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }
}
