/**
 * What the library's command lines share: parsing {@code <command> [options] [arguments]}, the
 * usage text, the common exit codes and how errors are printed.
 */
@NullMarked
package io.reactivedb.internal.cli;

import org.jspecify.annotations.NullMarked;
