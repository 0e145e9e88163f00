package io.reactivedb.arch;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.routing.ReactiveDbRouter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module's boundary as compiled: the exported packages are the documented API and nothing else,
 * none is qualified, and everything not exported is under {@code io.reactivedb.internal}.
 */
class ModuleBoundaryTest {

    /** The API packages, as listed in {@code module-info.java} and docs/ARCHITECTURE.md. */
    private static final Set<String> API = Set.of(
            "io.reactivedb.config",
            "io.reactivedb.error",
            "io.reactivedb.health",
            "io.reactivedb.pool",
            "io.reactivedb.r2dbc",
            "io.reactivedb.resilience",
            "io.reactivedb.routing",
            "io.reactivedb.tracing");

    private static ModuleDescriptor core() throws URISyntaxException {
        // The tests run on the class path; the main classes' folder (or jar) is the module as built.
        Path classes = Path.of(ReactiveDbRouter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(classes).find("io.reactivedb.core").orElseThrow().descriptor();
    }

    @Test
    void exportsExactlyTheApiPackages() throws URISyntaxException {
        Set<String> exported = core().exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());

        assertThat(exported).containsExactlyInAnyOrderElementsOf(API);
        assertThat(exported).noneMatch(name -> name.contains(".internal"));
    }

    @Test
    void exportsToEveryoneAndOpensNothing() throws URISyntaxException {
        assertThat(core().exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
        assertThat(core().opens()).isEmpty();
        assertThat(core().isOpen()).isFalse();
    }

    @Test
    void everyPackageLeftOutIsInternal() throws URISyntaxException {
        ModuleDescriptor core = core();

        Set<String> hidden = core.packages().stream().filter(name -> !API.contains(name)).collect(Collectors.toSet());

        assertThat(hidden).isNotEmpty().allMatch(name -> name.startsWith("io.reactivedb.internal."));
    }

    @Test
    void providesTheDriverAllowancesToBlockHound() throws URISyntaxException {
        assertThat(core().provides())
                .anySatisfy(provides -> {
                    assertThat(provides.service()).isEqualTo("reactor.blockhound.integration.BlockHoundIntegration");
                    assertThat(provides.providers()).containsExactly("io.reactivedb.internal.pool.DriverBlockHoundIntegration");
                });
    }
}
