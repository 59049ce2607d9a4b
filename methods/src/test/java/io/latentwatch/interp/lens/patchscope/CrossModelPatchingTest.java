package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.LensFixtures;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class CrossModelPatchingTest {

    @Test
    void identityMapIntoTheSameModelAgreesEverywhereAndAZeroMapDoesNot() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        List<int[]> prompts = List.of(m.toTokens("Lily had a red ball."));
        for (int l : new int[]{0, 5}) {
            double[] r = CrossModelPatching.precisionAt1(m, l, m, l, AffineMap.identity(64), prompts);
            assertEquals(1.0, r[0], 0, "layer " + l);
            assertEquals(1.0, r[1], 0);
        }
        // a map that sends everything to zero destroys the information at the last residual: precision must drop
        AffineMap zero = new AffineMap(new Tensor(new float[64 * 64], 64, 64),
                new Tensor(new float[64], 64));
        double[] z = CrossModelPatching.precisionAt1(m, 5, m, 5, zero, prompts);
        assertTrue(z[0] < 0.5, "zero map precision " + z[0]);
    }
}
