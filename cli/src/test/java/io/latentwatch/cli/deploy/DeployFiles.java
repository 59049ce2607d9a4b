package io.latentwatch.cli.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root, found from the working directory of the test (the module directory). */
final class DeployFiles {
    private DeployFiles() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy")) && Files.isRegularFile(p.resolve("mvnw"))) {
                return p;
            }
        }
        throw new IllegalStateException("No repository root (with deploy/ and mvnw) above " + Path.of("").toAbsolutePath());
    }
}
