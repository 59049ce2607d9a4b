package io.latentwatch.interp.lens;

import ai.djl.ndarray.NDArray;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.TransformerParams;

/**
 * The model's head applied to any residual vector: the final norm (RMSNorm for Llama, LayerNorm for GPT-2, with
 * gain and bias) followed by the unembedding (and its bias). This is the logit lens's decoder (nostalgebraist 2020)
 * and the part of the tuned lens after the translator. Pure NDArray ops, usable under DJL autograd; the same
 * formula as the runtime's forward (TransformerForward.normalize/affine, which are package-private there).
 */
public final class Unembed {
    private Unembed() {}

    /** Logits [..., vocab] of residual vectors x [..., d_model]. */
    public static NDArray logits(TransformerParams p, NDArray x) {
        ModelConfig c = p.config;
        float eps = c.normEps();
        NDArray n;
        if (c.isLlama()) {
            n = x.div(x.square().mean(new int[]{-1}, true).add(eps).sqrt());
        } else {
            NDArray centered = x.sub(x.mean(new int[]{-1}, true));
            n = centered.div(centered.square().mean(new int[]{-1}, true).add(eps).sqrt());
        }
        NDArray y = n.mul(p.lnFinalW);
        if (p.lnFinalB != null) y = y.add(p.lnFinalB);
        NDArray logits = p.wU != null ? y.matMul(p.wU) : y.matMul(p.wE.transpose());
        if (p.bU != null) logits = logits.add(p.bU);
        return logits;
    }
}
