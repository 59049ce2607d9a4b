package io.latentwatch.interp.lens;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelLoader;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LogitLensTest {

    /** Plain scalar logit lens: RMSNorm (double) with the final gain, then the tied embedding as unembedding. */
    static double[] scalarLogitLens(ModelWeights w, float[] h) {
        int d = h.length, v = w.config().vocabSize();
        double ms = 0;
        for (float x : h) ms += (double) x * x;
        double inv = 1.0 / Math.sqrt(ms / d + w.config().normEps());
        double[] y = new double[d];
        for (int i = 0; i < d; i++) y[i] = h[i] * inv * w.lnFinalW().data()[i];
        double[] out = new double[v];
        for (int t = 0; t < v; t++) {
            double s = 0;
            for (int i = 0; i < d; i++) {
                // wU is [d, V] when untied; tied: wE [V, d]
                double u = w.wU() != null ? w.wU().data()[i * v + t] : w.wE().data()[t * d + i];
                s += y[i] * u;
            }
            out[t] = s;
        }
        return out;
    }

    @Test
    void batchedLogitLensMatchesScalarReferenceAtEveryLayer() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        ModelWeights w = ModelLoader.loadWeights(LensFixtures.shared("models/stories260K/stories260K.bin"));
        int[] toks = m.toTokens("Once upon a time, there was a little girl named Lily.");
        ResidualDataset data = ResidualDataset.collect(m, List.of(toks));
        LogitLens lens = new LogitLens(m);
        int v = m.config().vocabSize();
        for (int l = 0; l < ResidualLayers.count(m.config()); l++) {
            Tensor hidden = data.residuals().get(l);
            Tensor got = lens.logits(hidden);
            assertArrayEquals(new int[]{hidden.dim(0), v}, got.shape());
            for (int r : new int[]{0, 3, hidden.dim(0) - 1}) {
                double[] ref = scalarLogitLens(w, hidden.row(r));
                for (int t = 0; t < v; t++) assertEquals(ref[t], got.data()[r * v + t], 1e-4, "layer " + l + " row " + r + " token " + t);
            }
        }
    }

    @Test
    void lastLayerLogitLensIsTheModelOutput() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] toks = m.toTokens("The dog ran to the park.");
        ResidualDataset data = ResidualDataset.collect(m, List.of(toks));
        Tensor lensLogits = new LogitLens(m).logits(data.residuals().get(m.config().nLayers()));
        assertTrue(lensLogits.maxAbsDiff(data.logits()) < 1e-4f, "diff " + lensLogits.maxAbsDiff(data.logits()));
    }

    @Test
    void topKIsSortedAndProbabilitiesMatchSoftmax() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] toks = m.toTokens("Once upon a time");
        ResidualDataset data = ResidualDataset.collect(m, List.of(toks));
        float[] h = data.residuals().get(3).row(1);
        List<DecodedToken> top = new LogitLens(m).topK(h, 5);
        assertEquals(5, top.size());
        ModelWeights w = ModelLoader.loadWeights(LensFixtures.shared("models/stories260K/stories260K.bin"));
        double[] ref = scalarLogitLens(w, h);
        double max = Double.NEGATIVE_INFINITY, z = 0;
        int arg = 0;
        for (int t = 0; t < ref.length; t++) if (ref[t] > max) { max = ref[t]; arg = t; }
        for (double x : ref) z += Math.exp(x - max);
        assertEquals(arg, top.get(0).id());
        assertEquals(1.0 / z, top.get(0).probability(), 1e-5);
        for (int i = 1; i < 5; i++) assertTrue(top.get(i - 1).probability() >= top.get(i).probability());
        assertEquals(m.tokenizer().tokenString(arg), top.get(0).token());
    }

    @Test
    void rejectsWrongWidth() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LogitLens(m).logits(new Tensor(new float[10], 10)));
        assertTrue(e.getMessage().contains("64"));
    }

    @Test
    void klByHand() {
        // p = (0.5, 0.5), q = (0.25, 0.75): KL = 0.5 ln 2 + 0.5 ln(2/3)
        double[] lp = {Math.log(0.5), Math.log(0.5)}, lq = {Math.log(0.25), Math.log(0.75)};
        assertEquals(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3.0), LensMath.kl(lp, lq), 1e-12);
        assertEquals(0.0, LensMath.kl(lp, lp), 0);
        double[] ls = LensMath.logSoftmax(new float[]{1f, 2f, 3f});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertEquals(3 - Math.log(z), ls[2], 1e-6);
    }
}
