package io.latentwatch.interp.lens;

import io.latentwatch.interp.model.ModelConfig;

/**
 * Residual-stream "layers" as lenses number them: layer {@code l} in [0, n_layers) is the input of block l
 * ({@code blocks.l.hook_resid_pre}; layer 0 is the token embedding), layer {@code n_layers} is the output of the
 * last block ({@code blocks.(n_layers-1).hook_resid_post}), whose logit lens is exactly the model's output.
 * This is the numbering of the tuned-lens paper (Belrose et al. 2023) and of {@code HookPoints.residuals}.
 */
public final class ResidualLayers {
    private ResidualLayers() {}

    /** Number of residual layers: n_layers + 1. */
    public static int count(ModelConfig c) { return c.nLayers() + 1; }

    /** Hook name carrying residual layer {@code l}. */
    public static String hook(ModelConfig c, int layer) {
        check(c, layer);
        return layer < c.nLayers() ? "blocks." + layer + ".hook_resid_pre" : "blocks." + (c.nLayers() - 1) + ".hook_resid_post";
    }

    public static void check(ModelConfig c, int layer) {
        if (layer < 0 || layer > c.nLayers()) {
            throw new IllegalArgumentException("residual layer " + layer + " outside [0, " + c.nLayers() + "] (0 = embedding, "
                    + c.nLayers() + " = output of the last block)");
        }
    }

    /** Resolves a possibly negative position (-1 = last) against a sequence length. */
    public static int position(int position, int length, String what) {
        int p = position < 0 ? length + position : position;
        if (p < 0 || p >= length) throw new IllegalArgumentException(what + ": position " + position + " outside a sequence of " + length + " tokens");
        return p;
    }
}
