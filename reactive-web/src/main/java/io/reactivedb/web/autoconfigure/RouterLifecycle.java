package io.reactivedb.web;

import io.reactivedb.routing.ReactiveDbRouter;
import org.springframework.context.SmartLifecycle;

/**
 * Shuts the router down gracefully when Spring stops: after the web server has stopped taking
 * requests (a lower phase stops later), in-flight work finishes within the router's shutdown
 * timeout and then the pools close.
 */
final class RouterLifecycle implements SmartLifecycle {

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
        }).subscribe(done -> { }, error -> { });
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
