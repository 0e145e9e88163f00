package io.reactivedb.health;

/** What a server said of itself at its last probe ({@code pg_is_in_recovery()}). */
public enum ObservedRole {
    /** Not in recovery: accepts writes. */
    PRIMARY,
    /** In recovery: a hot standby, read-only. */
    REPLICA,
    /** Not reachable, or not probed yet. */
    UNKNOWN
}
