package io.latentwatch.interp.sae;

import java.util.List;

/**
 * The tokens a direction in the residual stream promotes: the direction times the unembedding W_U, without the
 * final norm, as used to label SAE latents by their decoder row (Neuronpedia's "top positive logits"; the logit
 * lens's readout applied to a direction, nostalgebraist 2020). Unlike {@code lens.LogitLens}, which reads a
 * residual <em>state</em> through the final norm and the unembedding into a distribution over tokens, a decoder
 * direction has no scale to normalise. Implemented by the model runtime.
 */
@FunctionalInterface
public interface DecoderLogits {
    List<String> topTokens(float[] direction, int n);
}
