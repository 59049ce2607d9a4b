package io.latentwatch.interp.lens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelLoader;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class LensEvaluationTest {

    @Test
    void scoresMatchHandComputationAndLastLayerIsExact(@TempDir Path dir) throws Exception {
        HookedTransformer m = LensFixtures.stories();
        ResidualDataset data = ResidualDataset.collect(m, List.of(m.toTokens("Once upon a time, there was a big dog."),
                m.toTokens("Lily saw a bird in the tree.")));
        Map<String, List<LayerScore>> r = LensEvaluation.evaluate(m, data, TunedLens.identity(m), true, null);
        int L = m.config().nLayers(), v = m.config().vocabSize();
        assertEquals(L + 1, r.get(LensEvaluation.LOGIT).size());
        // last layer: every decoder is the model itself
        for (String k : r.keySet()) {
            LayerScore last = r.get(k).get(L);
            assertEquals(1.0, last.precisionAt1(), 0, k);
            assertEquals(0.0, last.klToFinal(), 1e-6, k);
        }
        // identity-initialised tuned lens = logit lens at every layer
        for (int l = 0; l <= L; l++) {
            assertEquals(r.get(LensEvaluation.LOGIT).get(l).surprisal(), r.get(LensEvaluation.TUNED).get(l).surprisal(), 1e-6);
        }
        // layer 2 logit lens by hand: precision and surprisal from the scalar reference's logits
        var w = ModelLoader.loadWeights(LensFixtures.shared("models/stories260K/stories260K.bin"));
        Tensor h = data.residuals().get(2);
        double hits = 0, surpr = 0;
        for (int i = 0; i < data.size(); i++) {
            double[] ref = LogitLensTest.scalarLogitLens(w, h.row(i));
            float[] fin = data.logits().row(i);
            int ystar = 0, arg = 0;
            for (int t = 1; t < v; t++) {
                if (fin[t] > fin[ystar]) ystar = t;
                if (ref[t] > ref[arg]) arg = t;
            }
            double max = ref[arg], z = 0;
            for (double x : ref) z += Math.exp(x - max);
            surpr += -(ref[ystar] - max - Math.log(z));
            if (arg == ystar) hits++;
        }
        LayerScore s2 = r.get(LensEvaluation.LOGIT).get(2);
        assertEquals(hits / data.size(), s2.precisionAt1(), 1e-12);
        assertEquals(surpr / data.size(), s2.surprisal(), 1e-3);

        LensReport.write(dir, r, Map.of("model", "stories260K"));
        JsonNode j = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals(L + 1, j.path("methods").path("token_identity").size());
        assertEquals(0, j.path("methods").path("logit_lens").get(0).path("layer").asInt());
        assertTrue(j.path("methods").path("tuned_lens").get(1).has("precision_at_1"));
        assertTrue(Files.size(dir.resolve("precision_at_1.png")) > 1000);
        assertTrue(Files.readString(dir.resolve("report.html")).contains("surprisal.png"));
    }
}
