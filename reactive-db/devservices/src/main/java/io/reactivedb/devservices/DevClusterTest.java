package io.reactivedb.devservices;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that uses the shared {@link DevCluster}: registers
 * {@link DevClusterExtension} (so {@code DevCluster} parameters are injected) and tags the class
 * {@code database}.
 */
@Target({ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(DevClusterExtension.class)
@Tag("database")
public @interface DevClusterTest {
}
