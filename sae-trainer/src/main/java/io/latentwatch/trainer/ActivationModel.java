package io.latentwatch.trainer;

import io.latentwatch.interp.sae.DecoderLogits;
import io.latentwatch.interp.sae.SparseAutoencoder;

import java.util.List;

/**
 * What the trainer needs from a model runtime: per-token activations at a hook, text generation
 * (to make a corpus of model-generated text), the logit lens for latent labels, and next-token
 * cross-entropy with an SAE's reconstruction spliced in at the hook. Implemented over the interp
 * runtime's HookedTransformer.
 */
public interface ActivationModel extends AutoCloseable {
    String modelId();

    /** SHA-256 of the weights, recorded with each SAE version. */
    String versionHash();

    int dModel();

    /** Activations [pos, d] of {@code prompt} at {@code hook}, with each token's string. */
    PromptActivations run(String prompt, String hook);

    /** A sampled continuation of {@code prompt} (the prompt included). */
    String generate(String prompt, int maxNewTokens, float temperature, long seed);

    /** Mean next-token cross-entropy (nats) over the prompts; with {@code sae} non-null the hook's activation is replaced by its reconstruction. */
    double crossEntropy(List<String> prompts, String hook, SparseAutoencoder sae);

    DecoderLogits decoderLogits();

    @Override
    void close();

    record PromptActivations(float[] rows, int dim, String[] tokens) {
        public int positions() { return rows.length / dim; }
    }
}
