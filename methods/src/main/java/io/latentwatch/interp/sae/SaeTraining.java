package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Trains an SAE on activation rows.
 *
 * <ul>
 *   <li><b>ReLU</b> ("standard"): MSE + λ·Σ z_i ||W_dec,i|| (Anthropic, "Circuits Updates — April
 *       2024"): the decoder is not constrained, the penalty is weighted by each row's norm so the
 *       SAE cannot shrink latents by growing the decoder. Dead latents are resampled (Bricken et al.
 *       2023): decoder row := a poorly reconstructed input (chosen with probability ∝ loss²), normalised;
 *       encoder column := that direction × 0.2 × the mean live encoder norm; b_enc := 0; Adam state reset.</li>
 *   <li><b>TopK</b>: MSE + α·AuxK (Gao et al. 2024). Decoder rows are kept at unit norm: the gradient
 *       component parallel to each row is removed before the step and rows are renormalised after it.</li>
 * </ul>
 * Common to both: b_dec starts at the data's geometric median (Weiszfeld) or mean; W_dec rows start
 * as random directions and W_enc = W_dec^T (Gao et al., Anthropic April 2024); Adam with linear
 * warm-up and linear decay. Inputs are scaled so E||x|| = √d_in during training (SAELens's
 * "expected_average_only_in"); at the end the scale and the decoder norms are folded into the weights
 * (SAELens's fold_activation_norm_scaling_factor and fold_W_dec_norm), so the saved SAE takes raw
 * activations, has unit-norm decoder rows and computes exactly the function that was trained.
 */
public final class SaeTraining {

    /** Supplies training rows: {@code next(n)} returns n·d_in floats (row-major); sources loop or stream. */
    @FunctionalInterface
    public interface Batches {
        float[] next(int rows);
    }

    public record Result(SparseAutoencoder sae, List<TrainingPoint> history, SaeEvaluation validation,
                         long tokens, double seconds, int resampledLatents, float inputScale) {
        public double tokensPerSecond() { return tokens / Math.max(seconds, 1e-9); }
    }

    private SaeTraining() {}

    public static Result train(SaeConfig cfg, SaeTrainingOptions opt, float[] initSample, Batches batches, float[] validation) {
        if (validation.length < cfg.dIn() || validation.length % cfg.dIn() != 0) {
            throw new IllegalArgumentException("validation set must hold whole rows of d_in=" + cfg.dIn() + ", got " + validation.length + " floats");
        }
        return train(cfg, opt, initSample, batches, () -> validation);
    }

    /**
     * @param validation held-out rows, asked for at every evaluation (a streaming pipeline's set grows
     *                   while training runs); the final evaluation uses its last answer
     */
    public static Result train(SaeConfig cfg, SaeTrainingOptions opt, float[] initSample, Batches batches,
                               Supplier<float[]> validation) {
        return train(TrainingMethod.forConfig(cfg), cfg, opt, initSample, batches, validation);
    }

    /**
     * Trains with {@code method}; for {@link TrainingMethod#BATCH_TOPK} {@code cfg} is a TopK config whose
     * k is the average number of active latents per token, and the result is a JumpReLU SAE.
     */
    public static Result train(TrainingMethod method, SaeConfig cfg, SaeTrainingOptions opt, float[] initSample, Batches batches,
                               Supplier<float[]> validation) {
        if (method == TrainingMethod.BATCH_TOPK && !cfg.isTopK()) {
            throw new IllegalArgumentException("BatchTopK training needs a topk config (its k is the mean L0), got " + cfg.architecture());
        }
        if (method != TrainingMethod.BATCH_TOPK && !method.savedArchitecture().equals(cfg.architecture())) {
            throw new IllegalArgumentException(method + " training saves a " + method.savedArchitecture() + " SAE but the config is " + cfg.architecture());
        }
        int d = cfg.dIn();
        int s = cfg.dSae();
        if (initSample.length < d || initSample.length % d != 0) {
            throw new IllegalArgumentException("initialisation sample must hold whole rows of d_in=" + d + ", got " + initSample.length + " floats");
        }
        long t0 = System.nanoTime();
        float scale = opt.normalizeInputs() ? inputScale(initSample, d) : 1f;
        float[] scaledInit = scaled(initSample, scale);
        float[] bDec = switch (opt.bDecInit()) {
            case "geometric_median" -> GeometricMedian.of(capRows(scaledInit, d, 8192), d, 100, 1e-5);
            case "mean" -> GeometricMedian.mean(scaledInit, d);
            default -> new float[d];
        };
        Random rnd = new Random(opt.seed());
        float initNorm = method.unitDecoder() ? 1f : 0.1f;  // Anthropic April 2024: small random directions for ReLU
        float[] wDec = new float[s * d];
        for (int i = 0; i < s; i++) {
            double n = 0;
            for (int j = 0; j < d; j++) {
                float v = (float) rnd.nextGaussian();
                wDec[i * d + j] = v;
                n += v * v;
            }
            float f = (float) (initNorm / Math.sqrt(n));
            for (int j = 0; j < d; j++) wDec[i * d + j] *= f;
        }
        float[] wEnc = transpose(wDec, s, d);
        SaeConfig trainCfg = cfg;
        Map<String, Tensor> init = new LinkedHashMap<>();
        init.put("W_enc", new Tensor(wEnc, d, s));
        init.put("b_enc", new Tensor(new float[s], s));
        init.put("W_dec", new Tensor(wDec, s, d));
        init.put("b_dec", new Tensor(bDec, d));
        if (method == TrainingMethod.JUMPRELU) {
            float[] th = new float[s];
            Arrays.fill(th, TrainingMethod.JUMPRELU_INIT_THRESHOLD);
            init.put("threshold", new Tensor(th, s));
        }
        // BatchTopK trains (and is evaluated while training) as TopK with its k; the batch-wide choice is in the loss.
        SparseAutoencoder sae = SparseAutoencoder.of(trainCfg, init);
        float batchThreshold = 0f;                          // BatchTopK: EMA of the smallest selected activation

        List<TrainingPoint> history = new ArrayList<>();
        int kAux = opt.kAux() > 0 ? opt.kAux() : Math.max(1, Math.min(s, d / 2));
        int resampled = 0;
        long tokens = 0;
        ProgressBar bar = opt.progressBar()
                ? new ProgressBarBuilder().setTaskName("SAE " + cfg.architecture() + " " + cfg.hookName())
                        .setInitialMax(opt.steps()).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build()
                : null;
        try (NDManager train = NDManager.newBaseManager()) {
            Adam aWEnc = new Adam(train, sae.wEnc());
            Adam aBEnc = new Adam(train, sae.bEnc());
            Adam aWDec = new Adam(train, sae.wDec());
            Adam aBDec = new Adam(train, sae.bDec());
            Adam aTheta = method == TrainingMethod.JUMPRELU ? new Adam(train, ((JumpReluSae) sae.architecture()).threshold()) : null;
            NDArray sinceFired = train.zeros(new Shape(s));
            NDArray windowFires = train.zeros(new Shape(s));
            long windowTokens = 0;
            for (int t = 0; t < opt.steps(); t++) {
                try (NDManager step = train.newSubManager()) {
                    float[] rows = batches.next(opt.batchSize());
                    if (rows == null || rows.length != opt.batchSize() * d) {
                        throw new IllegalStateException("batch source returned " + (rows == null ? "null" : rows.length + " floats")
                                + " instead of " + opt.batchSize() + " rows of " + d);
                    }
                    NDArray x = step.create(rows, new Shape(opt.batchSize(), d)).muli(scale);
                    NDArray deadMask = deadMask(sinceFired, opt.deadTokens(), step);
                    SaeLoss loss = new SaeLoss(opt.l1At(t), opt.auxCoefficient(), kAux);
                    NDArray theta = aTheta == null ? null : ((JumpReluSae) sae.architecture()).threshold();
                    SaeLoss.Result r = loss.compute(method, trainCfg, sae.wEnc(), sae.bEnc(), sae.wDec(), sae.bDec(), theta, x, deadMask);
                    NDArray gWDec = r.gWDec();
                    if (method.unitDecoder()) {
                        // Keep ||W_dec,i|| = 1: drop the gradient component along each row (SAELens
                        // remove_gradient_parallel_to_decoder_directions), then renormalise after the step.
                        NDArray wd = step.zeros(sae.wDec().getShape()).addi(sae.wDec());
                        gWDec = gWDec.sub(gWDec.mul(wd).sum(new int[] {1}, true).mul(wd));
                    }
                    float lr = opt.lrAt(t);
                    NDArray nWEnc = aWEnc.step(sae.wEnc(), r.gWEnc(), lr, t + 1);
                    NDArray nBEnc = aBEnc.step(sae.bEnc(), r.gBEnc(), lr, t + 1);
                    NDArray nWDec = aWDec.step(sae.wDec(), gWDec, lr, t + 1);
                    NDArray nBDec = aBDec.step(sae.bDec(), r.gBDec(), lr, t + 1);
                    if (method.unitDecoder()) nWDec = nWDec.div(nWDec.norm(new int[] {1}, true).add(1e-12f));
                    sae.setParameters(nWEnc, nBEnc, nWDec, nBDec);
                    if (aTheta != null) sae.setThreshold(aTheta.step(theta, r.gThreshold(), lr, t + 1));
                    if (method == TrainingMethod.BATCH_TOPK) {
                        NDArray positive = r.z().gt(0f);
                        if (positive.any().getBoolean()) {
                            // SAELens BatchTopKTrainingSAE.update_topk_threshold
                            float minPositive = r.z().add(positive.logicalNot().toType(DataType.FLOAT32, false).mul(Float.MAX_VALUE)).min().getFloat();
                            float a = TrainingMethod.BATCH_TOPK_THRESHOLD_LR;
                            batchThreshold = (1 - a) * batchThreshold + a * minPositive;
                        }
                    }

                    NDArray fired = r.z().gt(0f).sum(new int[] {0}).toType(DataType.FLOAT32, false);
                    NDArray notFired = fired.eq(0f).toType(DataType.FLOAT32, false);
                    sinceFired.addi(opt.batchSize()).muli(notFired);
                    windowFires.addi(fired);
                    windowTokens += opt.batchSize();
                    tokens += opt.batchSize();

                    boolean last = t == opt.steps() - 1;
                    if (method == TrainingMethod.RELU && opt.resampleEvery() > 0 && (t + 1) % opt.resampleEvery() == 0 && t < opt.steps() * 0.8) {
                        int n = resample(sae, sinceFired, opt, x, r.reconstruction(), rnd, aWEnc, aBEnc, aWDec, step);
                        resampled += n;
                    }
                    if ((t + 1) % opt.evalEvery() == 0 || last || t == 0) {
                        float fired0 = r.z().gt(0f).sum().toType(DataType.FLOAT32, false).getFloat();
                        double l0 = fired0 / opt.batchSize();
                        double dead = deadMask(sinceFired, opt.deadTokens(), step).sum().getFloat() / s;
                        float[] wf = windowFires.toFloatArray();
                        int dense = 0;
                        for (float f : wf) if (f / windowTokens > opt.denseThreshold()) dense++;
                        windowFires.muli(0f);
                        windowTokens = 0;
                        double sst = x.sub(x.mean(new int[] {0}, true)).square().sum().getFloat();
                        double trainFvu = r.mse() * opt.batchSize() / Math.max(sst, 1e-12);
                        float[] valRows = capRows(validation.get(), d, 4096);
                        double vMse = Double.NaN, vFvu = Double.NaN, vL0 = Double.NaN;
                        double inv2 = 1.0 / ((double) scale * scale);
                        if (valRows.length >= 2 * d) {
                            SaeEvaluation val = SaeEvaluation.of(sae, scaled(valRows, scale), 2048, opt.denseThreshold());
                            vMse = val.mse() * inv2;
                            vFvu = val.fvu();
                            vL0 = val.l0();
                        }
                        history.add(new TrainingPoint(t + 1, tokens, lr, r.total() * inv2, r.mse() * inv2, r.sparsity() * inv2,
                                r.aux() * inv2, trainFvu, l0, dead, (double) dense / s, vMse, vFvu, vL0));
                        if (bar != null) bar.setExtraMessage(String.format(" fvu %.3f L0 %.1f dead %.0f%%", vFvu, vL0, 100 * dead));
                    }
                }
                if (bar != null) bar.step();
            }
        } finally {
            if (bar != null) bar.close();
        }
        float[] thresholds = null;
        if (method == TrainingMethod.JUMPRELU) thresholds = ((JumpReluSae) sae.architecture()).threshold().toFloatArray();
        if (method == TrainingMethod.BATCH_TOPK) {
            thresholds = new float[s];
            Arrays.fill(thresholds, batchThreshold);
        }
        SaeConfig saved = method == TrainingMethod.BATCH_TOPK ? cfg.withArchitecture(SaeConfig.JUMPRELU, 0) : cfg;
        SparseAutoencoder folded = fold(sae, saved, scale, thresholds);
        sae.close();
        float[] valRows = validation.get();
        if (valRows.length < d) {
            folded.close();
            throw new IllegalStateException("no validation rows to evaluate the SAE on (held-out share too small for this corpus?)");
        }
        SaeEvaluation finalVal = SaeEvaluation.of(folded, valRows, 2048, opt.denseThreshold());
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(folded, history, finalVal, tokens, secs, resampled, scale);
    }

    /** 1 where a latent has not fired for deadTokens tokens; temporaries go to the step's scope. */
    private static NDArray deadMask(NDArray sinceFired, long deadTokens, NDManager step) {
        NDArray ge = sinceFired.gte((float) deadTokens);
        ge.attach(step);
        return ge.toType(DataType.FLOAT32, false);
    }

    /** √d_in / mean ||x||: after scaling, the average row norm is √d_in (SAELens expected_average_only_in). */
    static float inputScale(float[] rows, int d) {
        int n = rows.length / d;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double q = 0;
            for (int j = 0; j < d; j++) q += (double) rows[i * d + j] * rows[i * d + j];
            sum += Math.sqrt(q);
        }
        double mean = sum / n;
        return mean > 0 ? (float) (Math.sqrt(d) / mean) : 1f;
    }

    /**
     * Folds the input scale s and the decoder row norms into the weights. The trained SAE sees s·x:
     * pre = (s·x − b) W_enc + b_enc = (x − b/s)(s·W_enc) + b_enc, and x̂ = (z W_dec + b)/s. Then with
     * n_i = ||W_dec,i||/s: W_dec,i ← W_dec,i/(s n_i) (unit), W_enc[:,i] ← s·W_enc[:,i]·n_i, b_enc,i ← b_enc,i·n_i;
     * ReLU and TopK commute with a positive per-latent scale when every n_i is equal (TopK) or always (ReLU);
     * a JumpReLU threshold θ_i becomes θ_i·n_i (as SAELens's JumpReLU fold_W_dec_norm).
     *
     * @param thresholds JumpReLU thresholds in the training space (null for standard and TopK)
     */
    static SparseAutoencoder fold(SparseAutoencoder sae, SaeConfig cfg, float scale, float[] thresholds) {
        int d = cfg.dIn();
        int s = cfg.dSae();
        float[] wEnc = sae.wEnc().toFloatArray();
        float[] bEnc = sae.bEnc().toFloatArray();
        float[] wDec = sae.wDec().toFloatArray();
        float[] bDec = sae.bDec().toFloatArray();
        for (int j = 0; j < d; j++) bDec[j] /= scale;
        for (int i = 0; i < s; i++) {
            double n = 0;
            for (int j = 0; j < d; j++) n += (double) wDec[i * d + j] * wDec[i * d + j];
            float norm = (float) Math.sqrt(n);
            if (norm == 0f) continue;
            float ni = norm / scale;
            for (int j = 0; j < d; j++) {
                wDec[i * d + j] /= norm;
                wEnc[j * s + i] *= scale * ni;
            }
            bEnc[i] *= ni;
            if (thresholds != null) thresholds[i] *= ni;
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("W_enc", new Tensor(wEnc, d, s));
        t.put("b_enc", new Tensor(bEnc, s));
        t.put("W_dec", new Tensor(wDec, s, d));
        t.put("b_dec", new Tensor(bDec, d));
        if (thresholds != null) t.put("threshold", new Tensor(thresholds, s));
        return SparseAutoencoder.of(cfg, t);
    }

    /** Resamples dead latents (Bricken et al. 2023, ReLU SAEs); returns how many were resampled. */
    private static int resample(SparseAutoencoder sae, NDArray sinceFired, SaeTrainingOptions opt, NDArray x, NDArray xhat,
                                Random rnd, Adam aWEnc, Adam aBEnc, Adam aWDec, NDManager step) {
        int d = sae.config().dIn();
        int s = sae.config().dSae();
        float[] since = sinceFired.toFloatArray();
        List<Integer> dead = new ArrayList<>();
        for (int i = 0; i < s; i++) if (since[i] >= opt.deadTokens()) dead.add(i);
        if (dead.isEmpty()) return 0;
        float[] xs = x.toFloatArray();
        float[] loss = xhat.sub(x).square().sum(new int[] {1}).toFloatArray();
        int b = loss.length;
        double[] cum = new double[b];
        double acc = 0;
        for (int i = 0; i < b; i++) {
            acc += (double) loss[i] * loss[i];
            cum[i] = acc;
        }
        float[] wEnc = sae.wEnc().toFloatArray();
        float[] bEnc = sae.bEnc().toFloatArray();
        float[] wDec = sae.wDec().toFloatArray();
        float[] bDec = sae.bDec().toFloatArray();
        // mean encoder norm of the live latents
        double liveNorm = 0;
        int live = 0;
        for (int i = 0; i < s; i++) {
            if (since[i] >= opt.deadTokens()) continue;
            double n = 0;
            for (int j = 0; j < d; j++) n += (double) wEnc[j * s + i] * wEnc[j * s + i];
            liveNorm += Math.sqrt(n);
            live++;
        }
        double encNorm = live > 0 ? liveNorm / live : 1.0;
        float[] keepRows = new float[s];
        Arrays.fill(keepRows, 1f);
        for (int i : dead) {
            double u = rnd.nextDouble() * acc;
            int r = 0;
            while (r < b - 1 && cum[r] < u) r++;
            double n = 0;
            float[] v = new float[d];
            for (int j = 0; j < d; j++) {
                v[j] = xs[r * d + j] - bDec[j];
                n += (double) v[j] * v[j];
            }
            float inv = (float) (1.0 / Math.max(Math.sqrt(n), 1e-8));
            for (int j = 0; j < d; j++) {
                wDec[i * d + j] = v[j] * inv;
                wEnc[j * s + i] = (float) (v[j] * inv * 0.2 * encNorm);
            }
            bEnc[i] = 0f;
            keepRows[i] = 0f;
            since[i] = 0f;
        }
        NDManager m = sae.manager();
        sae.setParameters(m.create(wEnc, new Shape(d, s)), m.create(bEnc, new Shape(s)), m.create(wDec, new Shape(s, d)), m.create(bDec, new Shape(d)));
        NDArray keep = step.create(keepRows);
        aWEnc.resetWhere(keep.reshape(1, s));
        aBEnc.resetWhere(keep);
        aWDec.resetWhere(keep.reshape(s, 1));
        sinceFired.muli(0f).addi(step.create(since));
        return dead.size();
    }

    static float[] scaled(float[] rows, float scale) {
        float[] out = rows.clone();
        if (scale != 1f) for (int i = 0; i < out.length; i++) out[i] *= scale;
        return out;
    }

    static float[] capRows(float[] rows, int d, int max) {
        return rows.length / d <= max ? rows : Arrays.copyOf(rows, max * d);
    }

    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }
}
