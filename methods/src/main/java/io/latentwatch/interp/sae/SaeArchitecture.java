package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Map;

/**
 * What differs between SAE architectures: how the processed input becomes latents, and what
 * multiplies {@code W_dec} on the way back. One small class per architecture, as SAELens has one
 * file per architecture ({@code saes/standard_sae.py}, {@code gated_sae.py}, {@code jumprelu_sae.py},
 * {@code topk_sae.py}); everything they share (normalisation, {@code apply_b_dec_to_input},
 * the finetuning scaling factor, {@code + b_dec}) lives in {@link SparseAutoencoder}.
 */
public interface SaeArchitecture extends AutoCloseable {

    /** SAELens's architecture name ("standard", "gated", "jumprelu", "topk"). */
    String name();

    /**
     * Latents [B, d_sae] from the SAE input {@code sae_in} = normalise(x) − b_dec·apply_b_dec_to_input,
     * as SAELens's {@code encode} after {@code process_sae_in}.
     */
    NDArray encode(SparseAutoencoder sae, NDArray saeIn);

    /** What multiplies W_dec in the decoder: the latents themselves unless the architecture rescales them. */
    default NDArray decoderInput(SparseAutoencoder sae, NDArray z) { return z; }

    /** Whether the SAE has a {@code b_enc} (gated SAEs have b_gate and b_mag instead). */
    default boolean hasEncoderBias() { return true; }

    /** Parameters beyond W_enc, b_enc, W_dec and b_dec, under SAELens's names (saved with the weights). */
    default Map<String, Tensor> extraWeights() { return Map.of(); }

    /** One line for people: the activation rule in symbols. */
    String formula();

    @Override
    default void close() {}
}
