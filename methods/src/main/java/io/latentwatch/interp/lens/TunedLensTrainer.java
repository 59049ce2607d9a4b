package io.latentwatch.interp.lens;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.latentwatch.interp.model.TransformerForward;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Trains the tuned lens's translators (Belrose et al. 2023, §3): for each residual layer l < n_layers,
 * minimise the mean over positions of KL(p_final || p_lens,l), where p_final is the model's own next-token
 * distribution and p_lens,l = softmax(unembed(final_norm(W_l h_l + b_l))). W_l starts at the identity and b_l
 * at zero, so step 0 is the logit lens. The model is frozen; all layers train at once (their losses are
 * independent, summed), with Adam on minibatches of cached positions, under DJL autograd.
 */
public final class TunedLensTrainer {
    private TunedLensTrainer() {}

    /**
     * @param steps     optimiser steps
     * @param batchSize positions per step
     * @param lr        Adam learning rate (constant; betas 0.9/0.999, eps 1e-8)
     * @param seed      minibatch sampling seed
     */
    public record Options(int steps, int batchSize, float lr, long seed) {
        public Options {
            if (steps < 0 || batchSize <= 0 || !(lr > 0)) throw new IllegalArgumentException("bad tuned-lens options: " + steps + " steps, batch " + batchSize + ", lr " + lr);
        }

        public static Options defaults() { return new Options(600, 256, 3e-3f, 42L); }
    }

    /** The trained lens plus the loss (sum over layers of mean KL, nats) at each step. */
    public record Result(TunedLens lens, List<Float> losses, double seconds) {}

    public static Result train(HookedTransformer model, ResidualDataset data, Options o, IntConsumer onStep) {
        long t0 = System.nanoTime();
        ModelConfig c = model.config();
        int layers = c.nLayers(), d = c.dModel(), n = data.size(), v = c.vocabSize();
        // rows [n, layers, d] so a minibatch is one gather on axis 0
        float[] x = new float[n * layers * d];
        for (int l = 0; l < layers; l++) {
            float[] r = data.residuals().get(l).data();
            for (int i = 0; i < n; i++) System.arraycopy(r, i * d, x, (i * layers + l) * d, d);
        }
        float[] eye = new float[layers * d * d];
        for (int l = 0; l < layers; l++) for (int i = 0; i < d; i++) eye[l * d * d + i * d + i] = 1f;
        List<Float> losses = new ArrayList<>();
        List<AffineMap> maps = new ArrayList<>();
        try (NDManager m = model.manager().newSubManager()) {
            NDArray xs = m.create(x, new Shape(n, layers, d));
            NDArray target;
            try (NDScope s = new NDScope()) {
                target = m.create(data.logits().data(), new Shape(n, v)).logSoftmax(-1);
                NDScope.unregister(target);
            }
            NDArray w = m.create(eye, new Shape(layers, d, d));      // [l, out, in]
            NDArray b = m.zeros(new Shape(layers, 1, d));
            NDArray[] params = {w, b};
            NDArray[][] mom = new NDArray[2][];
            for (int i = 0; i < 2; i++) {
                params[i].setRequiresGradient(true);
                mom[i] = new NDArray[]{params[i].zerosLike(), params[i].zerosLike()};
            }
            SplittableRandom rng = new SplittableRandom(o.seed());
            int bs = Math.min(o.batchSize(), n);
            float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
            for (int step = 0; step < o.steps(); step++) {
                long[] idx = new long[bs];
                for (int i = 0; i < bs; i++) idx[i] = rng.nextInt(n);
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray ids = m.create(idx);
                    NDArray xb = xs.get(new NDIndex("{}", ids)).transpose(1, 0, 2);   // [l, B, d]
                    NDArray tb = target.get(new NDIndex("{}", ids));                    // [B, V]
                    float lossValue;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = klLoss(model, xb, tb, w, b);
                        gc.backward(loss);
                        lossValue = loss.getFloat();
                    }
                    losses.add(lossValue);
                    int t = step + 1;
                    float bc1 = (float) (1 - Math.pow(b1, t)), bc2 = (float) (1 - Math.pow(b2, t));
                    for (int i = 0; i < 2; i++) {
                        NDArray g = params[i].getGradient();
                        mom[i][0].muli(b1).addi(g.mul(1 - b1));
                        mom[i][1].muli(b2).addi(g.square().mul(1 - b2));
                        NDArray upd = mom[i][0].div(bc1).div(mom[i][1].div(bc2).sqrt().add(eps));
                        params[i].subi(upd.mul(o.lr()));
                        g.muli(0f); // PyTorch accumulates gradients
                    }
                }
                if (onStep != null) onStep.accept(step);
            }
            float[] wf = w.toFloatArray(), bf = b.toFloatArray();
            for (int l = 0; l < layers; l++) {
                float[] wl = Arrays.copyOfRange(wf, l * d * d, (l + 1) * d * d);
                float[] bl = Arrays.copyOfRange(bf, l * d, (l + 1) * d);
                maps.add(new AffineMap(new Tensor(wl, d, d), new Tensor(bl, d)));
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("objective", "mean KL(model final next-token distribution || lens distribution), summed over layers");
        info.put("optimizer", "Adam(lr=" + o.lr() + ", betas=0.9/0.999, eps=1e-8)");
        info.put("steps", o.steps());
        info.put("batch_size", o.batchSize());
        info.put("positions", n);
        info.put("seed", o.seed());
        if (!losses.isEmpty()) {
            info.put("loss_first", losses.get(0));
            info.put("loss_last", losses.get(losses.size() - 1));
        }
        info.put("seconds", secs);
        return new Result(new TunedLens(model, maps, info), losses, secs);
    }

    /** Sum over layers of the mean over rows of KL(p || q): xb [l, B, d], logP [B, V]. */
    static NDArray klLoss(HookedTransformer model, NDArray xb, NDArray logP, NDArray w, NDArray b) {
        NDArray h = xb.matMul(w.transpose(0, 2, 1)).add(b);
        NDArray logQ = TransformerForward.unembed(model.params(), h).logSoftmax(-1);          // [l, B, V]
        NDArray kl = logP.exp().mul(logP.sub(logQ)).sum(new int[]{-1});          // [l, B]
        return kl.mean(new int[]{1}).sum();
    }

    /** Mean KL(p_final || p_lens) per residual layer 0..n_layers of a decoder over a dataset (plain Java). */
    public static double[] meanKl(TunedLens lens, ResidualDataset data) {
        int layers = data.residuals().size(), v = lens.model().config().vocabSize();
        double[] out = new double[layers];
        for (int l = 0; l < layers; l++) {
            Tensor q = lens.logits(l, data.residuals().get(l));
            double s = 0;
            for (int i = 0; i < data.size(); i++) {
                s += LensMath.kl(LensMath.logSoftmax(data.logits().data(), i * v, v), LensMath.logSoftmax(q.data(), i * v, v));
            }
            out[l] = s / data.size();
        }
        return out;
    }
}
