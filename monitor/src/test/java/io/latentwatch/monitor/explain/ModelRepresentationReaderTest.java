package io.latentwatch.monitor.explain;

import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.TokenProbability;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRepresentationReaderTest {
    static final Path MODEL = Path.of(System.getenv().getOrDefault("LATENTWATCH_SHARED", "../../shared"), "models/stories260K");

    /**
     * The logit lens of the model's own final residual vector must be the model's own next-token
     * distribution (both are final norm + unembedding of the same vector): an independent check of
     * the patching route, with the runtime's plain forward pass as the reference.
     */
    @Test
    void logitLensOfTheFinalResidualIsTheModelsOwnPrediction() throws Exception {
        Path dir = Files.exists(MODEL) ? MODEL : Path.of("/work/shared/models/stories260K");
        Assumptions.assumeTrue(Files.exists(dir.resolve("stories260K.bin")), "stories260K not found at " + dir);
        try (HookedTransformer m = HookedTransformer.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
             SaeRegistry reg = new SaeRegistry(Watchlist.empty())) {
            int last = m.config().nLayers() - 1;
            int[] toks = m.toTokens("Once upon a time, there was a little girl");
            ForwardResult r = m.runWithCache(toks, List.of("blocks." + last + ".hook_resid_post"));
            Tensor resid = r.cache().get("blocks." + last + ".hook_resid_post");
            int d = m.config().dModel();
            float[] h = Arrays.copyOfRange(resid.data(), resid.size() - d, resid.size());
            float[] logits = r.lastLogits();
            double max = Double.NEGATIVE_INFINITY, z = 0;
            int best = 0;
            for (int i = 0; i < logits.length; i++) { max = Math.max(max, logits[i]); if (logits[i] > logits[best]) best = i; }
            for (float v : logits) z += Math.exp(v - max);
            RepresentationReader.Reading reading = new ModelRepresentationReader(Map.of("s", m), reg, 5, 3).read(m, last, h);
            TokenProbability top = reading.logitLens().get(0);
            assertEquals(best, top.getTokenId());
            assertEquals(Math.exp(logits[best] - max) / z, top.getProbability(), 1e-4);
            assertNotNull(reading.patchscopeText());
            assertFalse(reading.patchscopeText().isEmpty());
            assertTrue(reading.logitLens().get(1).getProbability() <= top.getProbability());
        }
    }
}
