/** Test helpers shared by the integration tests. */
@NullMarked
package io.reactivedb.testing;

import org.jspecify.annotations.NullMarked;
