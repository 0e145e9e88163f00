package io.reactivedb.routing;

import io.r2dbc.spi.IsolationLevel;

/** Transaction isolation levels PostgreSQL implements ({@code READ UNCOMMITTED} behaves as READ COMMITTED). */
public enum Isolation {
    READ_COMMITTED(IsolationLevel.READ_COMMITTED),
    REPEATABLE_READ(IsolationLevel.REPEATABLE_READ),
    SERIALIZABLE(IsolationLevel.SERIALIZABLE);

    private final IsolationLevel r2dbc;

    Isolation(IsolationLevel r2dbc) {
        this.r2dbc = r2dbc;
    }

    IsolationLevel r2dbc() {
        return r2dbc;
    }
}
