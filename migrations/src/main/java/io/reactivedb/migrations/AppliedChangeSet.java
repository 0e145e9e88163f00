package io.reactivedb.migrations;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of {@code DATABASECHANGELOG}: a change set that has been applied.
 *
 * @param changeSet     which change set
 * @param executedAt    when it was applied
 * @param orderExecuted its position in the order of execution, from 1
 * @param execType      Liquibase's {@code EXECTYPE} ({@code EXECUTED}, {@code RERAN}, …)
 * @param tag           the tag set on this row, if any
 */
public record AppliedChangeSet(ChangeSetRef changeSet, Instant executedAt, int orderExecuted, String execType, Optional<String> tag) {

    public AppliedChangeSet {
        Objects.requireNonNull(changeSet, "changeSet");
        Objects.requireNonNull(executedAt, "executedAt");
        Objects.requireNonNull(execType, "execType");
        Objects.requireNonNull(tag, "tag");
    }
}
