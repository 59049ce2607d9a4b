package io.latentwatch.monitor.explain;

import io.latentwatch.common.ArtifactStore;

import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.schema.Severity;
import io.latentwatch.schema.TokenProbability;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
        Path dir = Files.exists(MODEL) ? MODEL : Path.of("../../shared/models/stories260K");
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

    /**
     * An alert on one head's output (blocks.L.attn.hook_result) is read with the logit lens of the
     * SAE's reconstruction from the alert's latents (b_dec + sum a_i W_dec[i]), checked against
     * LogitLens on that vector computed here from the SAE's weights; no Patchscope (a head's output
     * is not a residual state) and no tuned lens. A rare-latent alert on the circuit SAE's hook (what the deployed stack's
     * rare-latent alerts were: blank Patchscope text on every one) says so in its status: not-applicable, not
     * "not-requested".
     */
    @Test
    void aPerHeadOutputAlertIsReadWithTheLogitLensOfItsReconstruction(@TempDir Path tmp) throws Exception {
        Path dir = Files.exists(MODEL) ? MODEL : Path.of("../../shared/models/stories260K");
        Assumptions.assumeTrue(Files.exists(dir.resolve("stories260K.bin")), "stories260K not found at " + dir);
        String hook = "blocks.2.attn.hook_result";
        try (HookedTransformer m = HookedTransformer.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
             SaeRegistry reg = new SaeRegistry(Watchlist.empty())) {
            int d = m.config().dModel(), dSae = 32;
            Random r = new Random(3);
            float[] wEnc = new float[d * dSae], bEnc = new float[dSae], wDec = new float[dSae * d], bDec = new float[d], rows = new float[200 * d];
            for (int i = 0; i < wEnc.length; i++) wEnc[i] = (float) r.nextGaussian() * 0.2f;
            for (int i = 0; i < wDec.length; i++) wDec[i] = (float) r.nextGaussian() * 0.2f;
            for (int i = 0; i < bDec.length; i++) bDec[i] = (float) r.nextGaussian() * 0.1f;
            for (int i = 0; i < rows.length; i++) rows[i] = (float) r.nextGaussian();
            SaeConfig cfg = SaeConfig.topk(d, dSae, 4, hook, "s");
            Path staging = Files.createDirectories(tmp.resolve("staging"));
            try (SparseAutoencoder sae = SparseAutoencoder.of(cfg,
                    new Tensor(wEnc, d, dSae), new Tensor(bEnc, dSae), new Tensor(wDec, dSae, d), new Tensor(bDec, d))) {
                SaeFiles.save(sae, staging);
                SaeBaseline.of(SaeEvaluation.of(sae, rows, 100, 0.1f)).write(staging);
            }
            var store = new ArtifactStore(tmp.resolve("artifacts"));
            var a = store.publish(staging, "s", hook, "v1");
            SaeVersion v = SaeVersion.newBuilder().setModelId("s").setHook(hook).setVersion("v1")
                    .setArtifactUri(a.uri().toString()).setSha256(a.sha256()).setCreatedMs(Instant.now()).setDIn(d).setDSae(dSae)
                    .setArchitecture("topk").setMetrics(Map.of()).setBaseline(Map.of()).build();
            assertTrue(reg.apply(v));
            Alert alert = Alert.newBuilder().setAlertId("rare-latent:x:" + hook + "#1")
                    .setModelId("s").setModelVersion("").setHook(hook).setDetector("rare-latent")
                    .setSeverity(Severity.WARNING).setScore(1).setThreshold(0.5).setSaeVersion("v1")
                    .setTimestampMs(Instant.now()).setSampleTimestampMs(Instant.now()).setSummary("s")
                    .setAttributes(new HashMap<>(Map.of("top_latents", "3:1.5,7:0.5", "head", "1"))).build();
            RepresentationReader.Reading reading = new ModelRepresentationReader(Map.of("s", m), reg, 5, 3).read(alert);

            float[] x = bDec.clone();
            for (int i = 0; i < d; i++) x[i] += 1.5f * wDec[3 * d + i] + 0.5f * wDec[7 * d + i];
            var expected = new LogitLens(m).topK(x, 5);
            assertEquals(5, reading.logitLens().size());
            for (int i = 0; i < 5; i++) {
                assertEquals(expected.get(i).id(), reading.logitLens().get(i).getTokenId(), "rank " + i);
                assertEquals(expected.get(i).probability(), reading.logitLens().get(i).getProbability(), 1e-5, "rank " + i);
            }
            assertEquals(null, reading.patchscopeText(), "no Patchscope of a head's output");
            assertEquals(RepresentationReader.Reading.NOT_APPLICABLE, reading.patchscopeStatus());
            assertTrue(reading.notRead().get(0).contains("per-head output is not a residual-stream state"), reading.notRead().toString());
            assertTrue(reading.tunedLens().isEmpty());
        }
    }

    /** The status follows what was decoded: text, an answer of whitespace only, or nothing to read. */
    @Test
    void thePatchscopeStatusSaysWhatWasDecoded() {
        assertEquals("done", new RepresentationReader.Reading(List.of(), List.of(), "cat").patchscopeStatus());
        assertEquals("blank", new RepresentationReader.Reading(List.of(), List.of(), " \n").patchscopeStatus());
        assertEquals("blank", new RepresentationReader.Reading(List.of(), List.of(), "").patchscopeStatus());
        assertEquals("unavailable", RepresentationReader.Reading.none("SAE version v1 is no longer held").patchscopeStatus());
    }
}
