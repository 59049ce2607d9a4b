package io.latentwatch.interp.sae;

import java.util.List;

/**
 * The tokens a direction in the residual stream promotes: its projection through the model's
 * unembedding (logit lens, nostalgebraist 2020), as used to label SAE latents by their decoder row
 * (Neuronpedia's "top positive logits"). Implemented by the model runtime.
 */
@FunctionalInterface
public interface LogitLens {
    List<String> topTokens(float[] direction, int n);
}
