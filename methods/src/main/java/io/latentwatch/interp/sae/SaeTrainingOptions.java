package io.latentwatch.interp.sae;

/**
 * Hyper-parameters of {@link SaeTraining}. Defaults suit a small residual SAE (d_in 64, d_sae 256-512,
 * TopK k=16, 50k-200k tokens): Adam lr 1e-3 (β 0.9/0.999), 5% linear warm-up, linear decay to 0 over
 * the last 20% of steps (SAELens's lr_warm_up_steps / lr_decay_steps).
 *
 * @param batchSize       tokens per step
 * @param steps           optimisation steps
 * @param lr              peak Adam learning rate
 * @param warmupFraction  share of steps spent warming up the learning rate from 0
 * @param decayFraction   share of steps (at the end) over which the learning rate falls linearly to 0
 * @param l1Coefficient   λ of the decoder-norm-weighted L1 penalty (ReLU); applies to normalised inputs
 * @param l1WarmupFraction share of steps over which λ ramps up from 0 (SAELens: l1_warm_up_steps)
 * @param auxCoefficient  α of the AuxK loss (TopK); Gao et al. 2024 use 1/32
 * @param kAux            k_aux for AuxK; 0 = d_in/2 as in Gao et al.
 * @param deadTokens      a latent that has not fired in this many training tokens is dead
 * @param resampleEvery   ReLU only: resample dead latents every this many steps (0 = never)
 * @param denseThreshold  a latent firing on more than this share of tokens is "dense"
 * @param evalEvery       compute validation metrics every this many steps
 * @param bDecInit        "mean", "geometric_median" or "zeros"
 * @param normalizeInputs scale inputs so E||x|| = sqrt(d_in) while training (SAELens's
 *                        expected_average_only_in), folded back into the weights at the end
 * @param seed            random seed for initialisation and resampling
 * @param progressBar     draw a console progress bar
 */
public record SaeTrainingOptions(
        int batchSize, int steps, float lr, float warmupFraction, float decayFraction,
        float l1Coefficient, float l1WarmupFraction, float auxCoefficient, int kAux,
        long deadTokens, int resampleEvery, float denseThreshold, int evalEvery,
        String bDecInit, boolean normalizeInputs, long seed, boolean progressBar) {

    public SaeTrainingOptions {
        if (batchSize <= 0 || steps <= 0) throw new IllegalArgumentException("batchSize and steps must be positive");
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be positive");
        if (!"mean".equals(bDecInit) && !"geometric_median".equals(bDecInit) && !"zeros".equals(bDecInit)) {
            throw new IllegalArgumentException("bDecInit must be mean, geometric_median or zeros, got " + bDecInit);
        }
    }

    public static SaeTrainingOptions defaults() {
        return new SaeTrainingOptions(1024, 1000, 1e-3f, 0.05f, 0.2f, 5f, 0.05f, 1f / 32, 0,
                50_000, 0, 0.1f, 100, "geometric_median", true, 42L, false);
    }

    public SaeTrainingOptions withSteps(int s) { return new SaeTrainingOptions(batchSize, s, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withBatchSize(int b) { return new SaeTrainingOptions(b, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withLr(float v) { return new SaeTrainingOptions(batchSize, steps, v, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withL1(float v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, v, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withDeadTokens(long v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, v, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withResampleEvery(int v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, v, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withEvalEvery(int v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, v, bDecInit, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withBDecInit(String v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, v, normalizeInputs, seed, progressBar); }
    public SaeTrainingOptions withSeed(long v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, v, progressBar); }
    public SaeTrainingOptions withProgressBar(boolean v) { return new SaeTrainingOptions(batchSize, steps, lr, warmupFraction, decayFraction, l1Coefficient, l1WarmupFraction, auxCoefficient, kAux, deadTokens, resampleEvery, denseThreshold, evalEvery, bDecInit, normalizeInputs, seed, v); }

    /** Learning rate at step t (0-based): linear warm-up, constant, then linear decay to 0. */
    public float lrAt(int t) {
        int warm = Math.round(warmupFraction * steps);
        int decayStart = steps - Math.round(decayFraction * steps);
        float f = 1f;
        if (warm > 0 && t < warm) f = (t + 1f) / warm;
        if (t >= decayStart && steps > decayStart) f = Math.min(f, (steps - t) / (float) (steps - decayStart));
        return lr * f;
    }

    /** λ at step t: linear ramp over l1WarmupFraction of the steps. */
    public float l1At(int t) {
        int warm = Math.round(l1WarmupFraction * steps);
        return warm > 0 && t < warm ? l1Coefficient * (t + 1f) / warm : l1Coefficient;
    }
}
