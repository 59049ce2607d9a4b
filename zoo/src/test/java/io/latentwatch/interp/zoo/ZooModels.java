package io.latentwatch.interp.zoo;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the committed zoo checkpoints (repo folder models/) from the module or the repository root. */
final class ZooModels {
    private ZooModels() {}

    static Path dir(String name) {
        for (Path base = Path.of("").toAbsolutePath(); base != null; base = base.getParent()) {
            Path p = base.resolve("models").resolve(name);
            if (Files.isRegularFile(p.resolve("model.safetensors"))) return p;
        }
        throw new IllegalStateException("committed zoo checkpoint models/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
}
