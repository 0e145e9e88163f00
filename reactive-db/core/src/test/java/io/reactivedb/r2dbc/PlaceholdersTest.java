package io.reactivedb.r2dbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PlaceholdersTest {

    @Test
    void countsTheHighestParameterUsed() {
        assertThat(Placeholders.count("SELECT 1")).isZero();
        assertThat(Placeholders.count("INSERT INTO t VALUES ($1, $2)")).isEqualTo(2);
        assertThat(Placeholders.count("SELECT $2::int + $1 WHERE x = $1")).isEqualTo(2);
        assertThat(Placeholders.count("SELECT * FROM t WHERE a=$1")).isEqualTo(1);
        assertThat(Placeholders.count("SELECT $10, $1, $2, $3, $4, $5, $6, $7, $8, $9")).isEqualTo(10);
    }

    @Test
    void skipsConstantsIdentifiersAndComments() {
        assertThat(Placeholders.count("SELECT '$1', \"$2\", $$ $3 $$, $body$ $4 $body$ -- $5\n, $1")).isEqualTo(1);
        assertThat(Placeholders.count("SELECT /* $1 /* nested $2 */ still $3 */ 'it''s $4'")).isZero();
        assertThat(Placeholders.count("SELECT 1 -- $1 to the end")).isZero();
        // A $ inside a word belongs to the identifier.
        assertThat(Placeholders.count("SELECT a$1 FROM t$2")).isZero();
    }

    @Test
    void refusesWhatTheDriverWouldRefuse() {
        assertThatThrownBy(() -> Placeholders.count("SELECT $2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$1 is missing");
        assertThatThrownBy(() -> Placeholders.count("SELECT $0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Placeholders.count("SELECT $1a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Placeholders.count("SELECT 'open")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unclosed quote");
        assertThatThrownBy(() -> Placeholders.count("SELECT $tag$ body")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Placeholders.count("SELECT /* open")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Placeholders.count("SELECT $99999999999")).isInstanceOf(IllegalArgumentException.class);
    }
}
