/**
 * Immutable settings of a router and the parser that maps environment variables onto them.
 *
 * <p>Every setting is checked as it is set; cross-field rules are checked in {@code build()}. An
 * invalid value fails with a {@link io.reactivedb.config.ConfigurationException} that names the
 * setting and the accepted form, and never prints a password.
 */
@NullMarked
package io.reactivedb.config;

import org.jspecify.annotations.NullMarked;
