package io.reactivedb.web.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;

class ConfigurationFailureAnalyzerTest {

    @Test
    void namesTheSettingFromDeepInsideBeanCreationErrors() {
        ConfigurationException cause = new ConfigurationException("reactive-db.pool.size (DB_POOL_SIZE)", "must be >= 1 but was 0");
        FailureAnalysis analysis = new ConfigurationFailureAnalyzer().analyze(new BeanCreationException("reactiveDbRouter", "failed", cause));

        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).isEqualTo("Invalid reactive-db setting: reactive-db.pool.size (DB_POOL_SIZE): must be >= 1 but was 0");
        assertThat(analysis.getAction()).startsWith("Correct reactive-db.pool.size (DB_POOL_SIZE)");
    }
}
