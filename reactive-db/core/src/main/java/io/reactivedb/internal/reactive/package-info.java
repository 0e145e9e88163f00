/**
 * Building blocks of the library's own Reactive Streams operators. Not API: nothing here is meant
 * for applications, and it may change in any release.
 */
@NullMarked
package io.reactivedb.internal.reactive;

import org.jspecify.annotations.NullMarked;
