package io.reactivedb.web.autoconfigure;

import io.reactivedb.config.ConfigurationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a {@link ConfigurationException} at startup into Spring Boot's short failure report: the
 * setting and what it accepts (the exception never holds a value that could be a secret), instead
 * of a stack of bean-creation errors.
 */
final class ConfigurationFailureAnalyzer extends AbstractFailureAnalyzer<ConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigurationException cause) {
        return new FailureAnalysis("Invalid reactive-db setting: " + cause.getMessage(),
                "Correct " + cause.setting() + " (a reactive-db.* property or its environment variable) and start again.", cause);
    }
}
