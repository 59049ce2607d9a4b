package io.latentwatch.cli.deploy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds an executable on the PATH. */
final class Tools {
    private Tools() {
    }

    /** The executable {@code name} on the PATH, or null. */
    static Path find(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
