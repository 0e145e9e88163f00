/**
 * Finding the PostgreSQL executables on this machine: the client tools the backup service runs
 * and the server binaries the dev-services cluster starts.
 */
@NullMarked
package io.reactivedb.tools;

import org.jspecify.annotations.NullMarked;
