package io.latentwatch.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the checkpoint a command uses when none is named: the project's zoo model
 * ({@code models/zoo-small}, then {@code models/zoo-base}, a Hugging Face Llama directory committed
 * in the repository) if present, otherwise stories260K (llama2.c) from the shared model directory or
 * the download cache ({@code latentwatch models pull stories260K}).
 */
public final class ModelLocator {
    private ModelLocator() {}

    /** A model file or directory and its tokenizer (null: the loader finds it beside the model). */
    public record Located(Path model, Path tokenizer) {}

    public static Located locateDefault() {
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of(""));
        Path jarRoot = repoRootOfJar();
        if (jarRoot != null) roots.add(jarRoot);
        for (Path root : roots) {
            for (String zoo : new String[]{"models/zoo-small", "models/zoo-base"}) {
                Path d = root.resolve(zoo);
                if (Files.isRegularFile(d.resolve("config.json"))) return new Located(d.toAbsolutePath().normalize(), null);
            }
        }
        List<Path> stories = new ArrayList<>();
        String shared = System.getenv("LATENTWATCH_SHARED");
        if (shared != null && !shared.isBlank()) stories.add(Path.of(shared, "models/stories260K"));
        for (Path root : roots) {
            stories.add(root.resolve("../shared/models/stories260K"));
            stories.add(root.resolve("../../shared/models/stories260K"));
        }
        String cache = System.getenv("LATENTWATCH_CACHE");
        stories.add(cache != null && !cache.isBlank() ? Path.of(cache, "stories260K")
                : Path.of(System.getProperty("user.home"), ".cache", "latentwatch", "stories260K"));
        for (Path d : stories) {
            Path bin = d.resolve("stories260K.bin");
            Path tok = d.resolve("tok512.bin");
            if (Files.isRegularFile(bin) && Files.isRegularFile(tok)) {
                return new Located(bin.toAbsolutePath().normalize(), tok.toAbsolutePath().normalize());
            }
        }
        throw new IllegalStateException("no model found: neither models/zoo-small nor models/zoo-base exists here, and stories260K "
                + "is not in ../shared/models or the cache; pass --model PATH or run 'latentwatch models pull stories260K'");
    }

    /**
     * The tuned lens committed for {@code modelId} ({@code docs/reports/lens/<modelId>/tuned}, from `latentwatch lens
     * train`) under the working directory or the repository the jar was built in; null when there is none. Whether it
     * fits the model's weights is the caller's check (its config.json names the weights' version hash).
     */
    public static Path committedTunedLens(String modelId) {
        List<Path> roots = new ArrayList<>();
        roots.add(Path.of(""));
        Path jarRoot = repoRootOfJar();
        if (jarRoot != null) roots.add(jarRoot);
        for (Path root : roots) {
            Path d = root.resolve("docs/reports/lens").resolve(modelId).resolve("tuned");
            if (Files.isRegularFile(d.resolve("config.json"))) return d.toAbsolutePath().normalize();
        }
        return null;
    }

    /**
     * The repository root when running from a build (cli/target/latentwatch.jar, cli/target/lib/*.jar,
     * node/target/classes, ...): the nearest directory above this class's code source that holds
     * the Maven wrapper and models/. Null when running from elsewhere.
     */
    private static Path repoRootOfJar() {
        try {
            Path p = Path.of(ModelLocator.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (Path d = p.getParent(); d != null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("mvnw")) && Files.isDirectory(d.resolve("models"))) return d;
            }
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}
