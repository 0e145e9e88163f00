package io.reactivedb.migrations;

import java.util.logging.Level;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import liquibase.logging.core.AbstractLogService;
import liquibase.logging.core.AbstractLogger;

/**
 * Sends Liquibase's log to SLF4J (Liquibase 4 logs to java.util.logging by default), under the
 * Liquibase class names ({@code liquibase.*}). Installed in the Liquibase scope of each
 * {@link MigrationRunner} call. Levels: SEVERE → error, WARNING → warn, INFO → info, CONFIG and
 * FINE → debug, finer → trace.
 */
final class Slf4jLogService extends AbstractLogService {

    @Override
    public int getPriority() {
        return PRIORITY_SPECIALIZED;
    }

    @Override
    @SuppressWarnings("rawtypes") // Liquibase's signature
    public liquibase.logging.Logger getLog(@Nullable Class clazz) {
        return new Slf4jLogger(LoggerFactory.getLogger(clazz == null ? "liquibase" : clazz.getName()));
    }

    @SuppressWarnings("try") // AutoCloseable through Liquibase's ExtensibleObject; nothing to close
    private static final class Slf4jLogger extends AbstractLogger {
        private final Logger log;

        Slf4jLogger(Logger log) {
            this.log = log;
        }

        @Override
        public void log(Level level, @Nullable String message, @Nullable Throwable e) {
            int value = level.intValue();
            if (value == Level.OFF.intValue()) {
                return;
            }
            String text = message == null ? "" : message;
            if (value >= Level.SEVERE.intValue()) {
                log.error(text, e);
            } else if (value >= Level.WARNING.intValue()) {
                log.warn(text, e);
            } else if (value >= Level.INFO.intValue()) {
                log.info(text, e);
            } else if (value >= Level.FINE.intValue()) {
                log.debug(text, e);
            } else {
                log.trace(text, e);
            }
        }
    }
}
