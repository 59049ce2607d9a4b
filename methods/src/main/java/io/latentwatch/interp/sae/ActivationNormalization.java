package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;

/**
 * SAELens's per-token input normalisations ({@code normalize_activations}, applied in
 * {@code process_sae_in} before b_dec is subtracted, and undone on the decoder's output). The
 * dataset-wide mode {@code expected_average_only_in} is not here: it is one constant that must be
 * folded into the weights ({@link SparseAutoencoder#foldActivationNormScalingFactor}), as SAELens
 * does when it knows the factor.
 */
public enum ActivationNormalization {
    /** Identity. */
    NONE {
        @Override NDArray in(NDArray x) { return x; }
        @Override NDArray out(NDArray y, NDArray x) { return y; }
    },
    /** {@code x · √d_in / ||x||} per token; the output is divided by the same factor. */
    CONSTANT_NORM_RESCALE {
        @Override NDArray in(NDArray x) { return x.mul(coefficient(x)); }
        @Override NDArray out(NDArray y, NDArray x) { return y.div(coefficient(x)); }

        private NDArray coefficient(NDArray x) {
            return x.norm(new int[] {1}, true).pow(-1f).mul((float) Math.sqrt(x.getShape().get(1)));
        }
    },
    /**
     * {@code (x − μ) / (σ + 1e-5)} per token with σ the unbiased (n−1) standard deviation, as torch's
     * {@code std}; the output is {@code y·σ + μ}.
     */
    LAYER_NORM {
        @Override NDArray in(NDArray x) {
            NDArray xc = x.sub(mean(x));
            return xc.div(std(xc).add(1e-5f));
        }
        @Override NDArray out(NDArray y, NDArray x) {
            NDArray mu = mean(x);
            return y.mul(std(x.sub(mu))).add(mu);
        }

        private NDArray mean(NDArray x) { return x.mean(new int[] {1}, true); }

        private NDArray std(NDArray centred) {
            long n = centred.getShape().get(1);
            return centred.square().sum(new int[] {1}, true).div(Math.max(1, n - 1)).sqrt();
        }
    };

    /** The SAE's input for raw activations {@code x} [B, d_in]. */
    abstract NDArray in(NDArray x);

    /** The decoder output {@code y} mapped back to the scale of the raw activations {@code x}. */
    abstract NDArray out(NDArray y, NDArray x);

    /** The mode for a cfg.json value; expected_average_only_in is refused (it must be folded first). */
    static ActivationNormalization of(String mode) {
        return switch (mode) {
            case "none" -> NONE;
            case "constant_norm_rescale" -> CONSTANT_NORM_RESCALE;
            case "layer_norm" -> LAYER_NORM;
            case "expected_average_only_in" -> throw new IllegalArgumentException("normalize_activations 'expected_average_only_in' scales "
                    + "inputs by one dataset-wide factor that must be folded into the weights before encoding "
                    + "(SAELens: sae.fold_activation_norm_scaling_factor(f)); give the factor (latentwatch: --norm-scaling-factor F) "
                    + "or save the SAE folded with normalize_activations 'none'");
            default -> throw new IllegalArgumentException("unknown normalize_activations '" + mode + "'");
        };
    }
}
