package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.LensFixtures;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class AffineMapFitTest {

    @Test
    void recoversAKnownAffineMapExactly() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 200, di = 6, dout = 4;
        float[] w = new float[dout * di], b = new float[dout], x = new float[n * di], y = new float[n * dout];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        AffineMap truth = new AffineMap(new Tensor(w, dout, di), new Tensor(b, dout));
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor xs = new Tensor(x, n, di);
        Tensor ys = truth.applyRows(xs);
        AffineMap fit = AffineMapFit.ridge(xs, ys, 0.0);
        assertTrue(fit.weight().maxAbsDiff(truth.weight()) < 1e-4f);
        assertTrue(fit.bias().maxAbsDiff(truth.bias()) < 1e-4f);
        assertEquals(1.0, AffineMapFit.r2(fit, xs, ys), 1e-6);
        // ridge shrinks the weights, never the bias
        AffineMap shrunk = AffineMapFit.ridge(xs, ys, 1e4);
        double nw = 0, nt = 0;
        for (float v : shrunk.weight().data()) nw += v * v;
        for (float v : truth.weight().data()) nt += v * v;
        assertTrue(nw < 0.5 * nt);
    }

    @Test
    void sameModelSameLayerMapIsNearIdentityAndRoundTrips(@TempDir Path dir) throws Exception {
        HookedTransformer m = LensFixtures.stories();
        List<String> prompts = List.of("Once upon a time, there was a cat.", "The dog ran to the park.", "Lily had a red ball.",
                "Tom saw a big tree.", "Mom made a cake for Sue.", "The bird sang a happy song.");
        AffineMapFit.Fit f = AffineMapFit.fit(m, 2, m, 2, prompts, 1e-3);
        assertTrue(f.r2Train() > 0.999, "r2 " + f.r2Train());
        float[] v = f.map().apply(new float[64]);
        AffineMapFit.save(dir, f.map(), Map.of("source_layer", 2, "target_layer", 2));
        AffineMap loaded = AffineMapFit.load(dir);
        assertArrayEquals(v, loaded.apply(new float[64]), 0f);
        assertEquals(2, AffineMapFit.config(dir).path("source_layer").asInt());
    }
}
