package io.latentwatch.interp.lens;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TunedLensTest {

    @Test
    void identityInitReproducesTheLogitLens() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        ResidualDataset data = ResidualDataset.collect(m, List.of(m.toTokens("Tom and Sue went to the park to play.")));
        TunedLens untrained = TunedLensTrainer.train(m, data, new TunedLensTrainer.Options(0, 16, 1e-3f, 1), null).lens();
        LogitLens logit = new LogitLens(m);
        for (int l = 0; l < ResidualLayers.count(m.config()); l++) {
            Tensor h = data.residuals().get(l);
            assertEquals(0f, untrained.logits(l, h).maxAbsDiff(logit.logits(h)), 1e-6f, "layer " + l);
            assertEquals(0f, TunedLens.identity(m).logits(l, h).maxAbsDiff(logit.logits(h)), 1e-6f, "layer " + l);
        }
    }

    @Test
    void trainedLensBeatsLogitLensOnHeldOutTextAtEveryLayerAndRoundTrips(@TempDir Path dir) throws Exception {
        HookedTransformer m = LensFixtures.stories();
        ResidualDataset train = ResidualDataset.collect(m, LensFixtures.prompts(m, "stories-train.txt"));
        ResidualDataset held = ResidualDataset.collect(m, LensFixtures.prompts(m, "stories-heldout.txt"));
        TunedLensTrainer.Result r = TunedLensTrainer.train(m, train, new TunedLensTrainer.Options(60, 128, 1e-2f, 7), null);
        assertTrue(r.losses().get(r.losses().size() - 1) < r.losses().get(0), "loss must fall: " + r.losses().get(0) + " -> " + r.losses().get(r.losses().size() - 1));
        double[] tuned = TunedLensTrainer.meanKl(r.lens(), held);
        double[] logit = TunedLensTrainer.meanKl(TunedLens.identity(m), held);
        // independent KL check at layer 0: by hand from the logit-lens logits
        Tensor q = new LogitLens(m).logits(held.residuals().get(0));
        int v = m.config().vocabSize();
        double s = 0;
        for (int i = 0; i < held.size(); i++) {
            double[] lp = LensMath.logSoftmax(held.logits().data(), i * v, v), lq = LensMath.logSoftmax(q.data(), i * v, v);
            for (int t = 0; t < v; t++) s += Math.exp(lp[t]) * (lp[t] - lq[t]);
        }
        assertEquals(s / held.size(), logit[0], 1e-9);
        for (int l = 0; l < tuned.length; l++) {
            assertTrue(tuned[l] <= logit[l] + 1e-6, "layer " + l + ": tuned " + tuned[l] + " > logit " + logit[l]);
        }
        assertEquals(0.0, tuned[tuned.length - 1], 1e-6); // the last layer is the model itself
        assertTrue(tuned[0] < 0.8 * logit[0], "tuned lens should clearly help at the embedding: " + tuned[0] + " vs " + logit[0]);

        r.lens().save(dir);
        assertTrue(Files.exists(dir.resolve(TunedLens.WEIGHTS)));
        TunedLens loaded = TunedLens.load(dir, m);
        Tensor h = held.residuals().get(2);
        assertEquals(0f, loaded.logits(2, h).maxAbsDiff(r.lens().logits(2, h)), 0f);
    }

    @Test
    void loadRejectsMissingFiles(@TempDir Path dir) throws Exception {
        HookedTransformer m = LensFixtures.stories();
        var e = assertThrows(IOException.class, () -> TunedLens.load(dir, m));
        assertTrue(e.getMessage().contains("config.json"));
    }
}
