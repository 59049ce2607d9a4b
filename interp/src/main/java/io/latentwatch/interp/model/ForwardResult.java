package io.latentwatch.interp.model;

import io.latentwatch.interp.hooks.ActivationCache;
import io.latentwatch.interp.tensor.Tensor;

/**
 * Logits and cached activations of one call. Logits are [pos, vocab] for a single prompt and
 * [batch, pos, vocab] for a batch (padded positions hold the logits of padding: ignore them).
 */
public record ForwardResult(Tensor logits, ActivationCache cache) {

    /** Logits at the last position of a single-prompt run: [vocab]. */
    public float[] lastLogits() {
        if (logits.rank() != 2) throw new IllegalStateException("lastLogits() is for single-prompt runs; logits are " + logits);
        return logits.row(logits.dim(0) - 1);
    }
}
