package io.reactivedb.migrations;

import java.util.Objects;

/**
 * Identifies a change set as Liquibase does: id, author and changelog file.
 *
 * @param id     the change set id, for example {@code 002-create-transfer}
 * @param author its author, for example {@code reactive-db}
 * @param file   the changelog file path as stored in {@code DATABASECHANGELOG.FILENAME}
 */
public record ChangeSetRef(String id, String author, String file) {

    public ChangeSetRef {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(author, "author");
        Objects.requireNonNull(file, "file");
    }

    /** {@code id::author}: the short form used in progress output. */
    public String shortName() {
        return id + "::" + author;
    }

    /** {@code id::author::file}. */
    @Override
    public String toString() {
        return id + "::" + author + "::" + file;
    }
}
