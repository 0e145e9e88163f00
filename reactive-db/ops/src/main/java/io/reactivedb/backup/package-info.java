/**
 * Backups of the primary with {@code pg_dump}: streamed, compressed, optionally encrypted
 * (AES-256-GCM in authenticated chunks), checksummed and described by a JSON metadata file;
 * verification by a restore into a scratch database; restore into a target database behind a
 * confirmation and a pre-restore backup; retention; backup health as a
 * {@link io.reactivedb.health.HealthComponent}; and the {@code BackupCli} command line.
 */
@NullMarked
package io.reactivedb.backup;

import org.jspecify.annotations.NullMarked;
