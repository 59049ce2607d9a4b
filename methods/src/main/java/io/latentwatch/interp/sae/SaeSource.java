package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An SAE as read from a directory, before it is built: the format, the configuration in SAELens's
 * terms, the tensors under SAELens's names, the stored dtype and what the conversion did.
 *
 * @param notes one line per conversion step (transposes, folded factors, derived hook names)
 */
public record SaeSource(SaeFormat format, Path dir, SaeConfig config, Map<String, Tensor> tensors, String storedDtype,
                        List<String> notes) {

    /** Builds the SAE (native weights: close it). */
    public SparseAutoencoder build() {
        return SparseAutoencoder.of(config, tensors);
    }
}
