package io.reactivedb.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The core's shape: its packages free of cycles, and none of the edges' libraries inside it. */
@AnalyzeClasses(packages = "io.reactivedb", importOptions = ImportOption.DoNotIncludeTests.class)
class CoreArchitectureTest {

    @ArchTest
    static final ArchRule packagesFormNoCycle = slices().matching("io.reactivedb.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule nothingOfTheEdges = noClasses().that().resideInAPackage("io.reactivedb..")
            .should().dependOnClassesThat().resideInAnyPackage("io.micrometer..", "org.junit..", "org.bouncycastle..", "org.springframework..");
}
