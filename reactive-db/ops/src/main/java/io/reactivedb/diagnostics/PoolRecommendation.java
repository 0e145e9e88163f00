package io.reactivedb.diagnostics;

import java.time.Duration;

/** One change pool tuning advice recommends, with the reason in words and the observation behind it. */
public sealed interface PoolRecommendation permits PoolRecommendation.IncreaseMaxSize, PoolRecommendation.LowerMaxSize,
        PoolRecommendation.RaiseAcquireTimeout, PoolRecommendation.LowerMinIdle {

    String endpoint();

    /** Why, with the figures that triggered it. */
    String reason();

    PoolObservation evidence();

    /** Callers wait for connections and the server has room: more connections ({@code DB_POOL_SIZE}). */
    record IncreaseMaxSize(String endpoint, int current, int suggested, String reason, PoolObservation evidence)
            implements PoolRecommendation {
    }

    /** The pool exceeds its share of the server's connections, or most of it is never used ({@code DB_POOL_SIZE}). */
    record LowerMaxSize(String endpoint, int current, int suggested, String reason, PoolObservation evidence)
            implements PoolRecommendation {
    }

    /**
     * Callers gave up waiting while the pool is as large as it should get: let them queue longer
     * ({@code DB_POOL_TIMEOUT}) rather than add connections the server cannot use.
     */
    record RaiseAcquireTimeout(String endpoint, Duration current, Duration suggested, String reason, PoolObservation evidence)
            implements PoolRecommendation {
    }

    /** Connections kept open for the minimum sit idle: a lower minimum ({@code DB_POOL_MIN}). */
    record LowerMinIdle(String endpoint, int current, int suggested, String reason, PoolObservation evidence)
            implements PoolRecommendation {
    }
}
