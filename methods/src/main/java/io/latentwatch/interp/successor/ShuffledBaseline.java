package io.latentwatch.interp.successor;

import io.latentwatch.interp.model.LayerWeights;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random-init control of the same shape and scale: every tensor replaced by Gaussian noise with that
 * tensor's own mean and standard deviation. Succession scores of a trained model are compared with this
 * model's (a head that increments ordinals must score far above what random weights reach by chance).
 */
public final class ShuffledBaseline {
    private ShuffledBaseline() {}

    public static ModelWeights randomLike(ModelWeights w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<LayerWeights> layers = new ArrayList<>();
        for (LayerWeights l : w.layers())
            layers.add(new LayerWeights(g(l.ln1W(), r), g(l.ln1B(), r), g(l.wQ(), r), g(l.wK(), r), g(l.wV(), r), g(l.bQ(), r),
                    g(l.bK(), r), g(l.bV(), r), g(l.wO(), r), g(l.bO(), r), g(l.ln2W(), r), g(l.ln2B(), r), g(l.wGate(), r),
                    g(l.wIn(), r), g(l.bIn(), r), g(l.wOut(), r), g(l.bOut(), r)));
        Tensor wE = g(w.wE(), r);
        Tensor wU = w.config().tiedEmbeddings() ? ModelWeights.transpose(wE) : g(w.wU(), r);
        return new ModelWeights(w.config(), wE, g(w.wPos(), r), layers, g(w.lnFinalW(), r), g(w.lnFinalB(), r), wU, g(w.bU(), r));
    }

    static Tensor g(Tensor t, SplittableRandom r) {
        if (t == null) return null;
        float[] a = t.data();
        double mean = 0, sq = 0;
        for (float v : a) mean += v;
        mean /= a.length;
        for (float v : a) sq += (v - mean) * (v - mean);
        double sd = Math.sqrt(sq / a.length);
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) (mean + sd * gauss(r));
        return new Tensor(out, t.shape());
    }

    static double gauss(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
