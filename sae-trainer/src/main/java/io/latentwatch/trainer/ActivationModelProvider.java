package io.latentwatch.trainer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Opens a model checkpoint as an {@link ActivationModel}. The interp runtime's adapter registers
 * itself in META-INF/services; tests pass their own.
 */
@FunctionalInterface
public interface ActivationModelProvider {
    ActivationModel open(Path model, Path tokenizerOrNull) throws IOException;

    /** The first provider on the class path, or an error saying the runtime is missing. */
    static ActivationModelProvider discover() {
        return ServiceLoader.load(ActivationModelProvider.class).findFirst().orElseThrow(() -> new IllegalStateException(
                "no model runtime on the class path (ActivationModelProvider): the interp runtime adapter "
                        + "io.latentwatch.trainer.HookedTransformerActivationModel is needed to run prompts through a model"));
    }
}
