package io.reactivedb.backup;

import java.util.List;

/**
 * What retention deleted.
 *
 * @param deleted      ids of the expired backups deleted
 * @param kept         ids of the backups kept
 * @param partsDeleted leftovers of interrupted backups deleted
 */
public record PruneReport(List<String> deleted, List<String> kept, int partsDeleted) {

    public PruneReport {
        deleted = List.copyOf(deleted);
        kept = List.copyOf(kept);
    }
}
