package io.latentwatch.interp.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The functional forward trains under DJL autograd and round-trips through ModelWeights. */
class TransformerForwardAutogradTest {

    static ModelWeights random(ModelConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int d = c.dModel(), m = c.dMlp();
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            ls.add(new LayerWeights(ones(d), null, rnd(r, d, c.qDim()), rnd(r, d, c.kvDim()), rnd(r, d, c.kvDim()), null, null, null,
                    rnd(r, c.qDim(), d), null, ones(d), null, rnd(r, d, m), rnd(r, d, m), null, rnd(r, m, d), null));
        }
        Tensor e = rnd(r, c.vocabSize(), d);
        return new ModelWeights(c, e, null, ls, ones(d), null, ModelWeights.transpose(e), null);
    }

    static Tensor ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return new Tensor(a, n);
    }

    static Tensor rnd(SplittableRandom r, int... shape) {
        float[] a = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * 0.2);
        return new Tensor(a, shape);
    }

    @Test
    void sgdOnTheFunctionalForwardLowersTheLossAndWeightsRoundTrip() throws Exception {
        TestModels.stories(); // engine + thread settings
        ModelConfig c = ModelConfig.llama(32, 2, 4, 2, 64, 24, 16, 1e-5f, 10000f, false, 1, 2);
        try (NDManager mgr = NDManager.newBaseManager("PyTorch")) {
            TransformerParams p = TransformerParams.fromWeights(random(c, 3).validate(), mgr);
            p.wU = null; // tied: the forward uses wE^T
            for (NDArray a : p.parameters()) a.setRequiresGradient(true);
            // a repeating sequence: learnable by attention
            long[] seq = new long[2 * 16];
            for (int i = 0; i < 16; i++) seq[i] = seq[16 + i] = 3 + (i * 7) % 20;
            NDArray all = mgr.create(seq, new Shape(2, 16));
            NDArray x = all.get(new NDIndex(":, 0:15"));
            NDArray y = all.get(new NDIndex(":, 1:16"));
            float first = 0, last = 0;
            for (int step = 0; step < 40; step++) {
                // each step's activations, gradient handles and update temporaries are freed at the end of the
                // step; the gradients are cleared per parameter (PyTorch accumulates into .grad). Not
                // gc.zeroGradients(): it walks every array of every manager in the JVM.
                try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                    scope.suppressNotUsedWarning();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = TransformerForward.forward(p, x);                  // [2, 15, 24]
                        NDArray logp = logits.logSoftmax(-1);
                        NDArray nll = logp.mul(y.oneHot(c.vocabSize())).sum(new int[]{-1}).neg().mean();
                        gc.backward(nll);
                        float v = nll.getFloat();
                        if (step == 0) first = v;
                        last = v;
                    }
                    for (NDArray a : p.parameters()) {
                        NDArray g = a.getGradient();
                        if (step == 0) assertTrue(g.abs().max().getFloat() > 0, "no gradient reaches a parameter of shape " + a.getShape());
                        a.subi(g.mul(0.2f));
                        g.set(new NDIndex("..."), 0f);
                    }
                }
            }
            assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
            // the trained NDArrays go back to Java weights and load into a HookedTransformer with equal logits
            ModelWeights w = p.toWeights().validate();
            try (HookedTransformer m = new HookedTransformer(w, null, "trained", "none")) {
                float[] direct = TransformerForward.forward(p, x.get(new NDIndex("0:1"))).toFloatArray();
                float[] viaModel = m.logits(java.util.Arrays.stream(java.util.Arrays.copyOf(seq, 15)).mapToInt(v -> (int) v).toArray()).data();
                assertEquals(direct.length, viaModel.length);
                assertTrue(HookedTransformerPropertiesTest.maxDiff(direct, viaModel) < 1e-5f);
            }
        }
    }
}
