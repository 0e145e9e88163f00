package io.reactivedb.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.reactivedb.config.ConfigurationException;

class SchemaCheckTest {

    @Test
    void defaultsValidateWithoutMigrating() {
        assertThat(SchemaCheck.fromEnvironment(Map.of())).isEqualTo(new SchemaCheck(false, true));
        assertThat(SchemaCheck.fromEnvironment(Map.of("DB_AUTO_MIGRATE", " ", "DB_VALIDATE_SCHEMA_ON_STARTUP", "")))
                .isEqualTo(new SchemaCheck(false, true));
    }

    @Test
    void acceptsTheBooleanSpellings() {
        for (String yes : new String[] {"true", "TRUE", "1", "yes", " Yes "}) {
            assertThat(SchemaCheck.fromEnvironment(Map.of("DB_AUTO_MIGRATE", yes)).autoMigrate()).as(yes).isTrue();
        }
        for (String no : new String[] {"false", "False", "0", "no", "NO"}) {
            assertThat(SchemaCheck.fromEnvironment(Map.of("DB_VALIDATE_SCHEMA_ON_STARTUP", no)).validateSchema()).as(no).isFalse();
        }
    }

    @Test
    void rejectsOtherValuesNamingTheVariable() {
        assertThatThrownBy(() -> SchemaCheck.fromEnvironment(Map.of("DB_AUTO_MIGRATE", "maybe")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_AUTO_MIGRATE"))
                .hasMessageContaining("maybe");
        assertThatThrownBy(() -> SchemaCheck.fromEnvironment(Map.of("DB_VALIDATE_SCHEMA_ON_STARTUP", "on")))
                .isInstanceOfSatisfying(ConfigurationException.class,
                        e -> assertThat(e.setting()).isEqualTo("DB_VALIDATE_SCHEMA_ON_STARTUP"));
    }
}
