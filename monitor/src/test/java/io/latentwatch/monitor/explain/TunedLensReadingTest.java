package io.latentwatch.monitor.explain;

import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.TokenProbability;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tuned-lens top tokens in explanations, on zoo-small with its committed tuned lens. */
class TunedLensReadingTest {
    static Path repo(String p) { return Files.exists(Path.of("../" + p)) ? Path.of("../" + p) : Path.of(p); }

    @Test
    void tunedLensTokensEqualADirectTunedLensComputation() throws Exception {
        Path lensDir = repo("docs/reports/lens/zoo-small/tuned");
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.TUNED_LENS_DIR_PREFIX + "zoo-small", lensDir.toString()), Map.of());
        assertEquals(Map.of("zoo-small", lensDir), cfg.tunedLensDirs());
        try (HookedTransformer m = HookedTransformer.load(repo("models/zoo-small"), null);
             SaeRegistry reg = new SaeRegistry(Watchlist.empty())) {
            ModelRepresentationReader reader = ModelRepresentationReader.withTunedLenses(Map.of("zoo-small", m), cfg.tunedLensDirs(), reg, 5, 2);
            TunedLens lens = TunedLens.load(lensDir, m);
            int[] toks = m.toTokens("alice lives in");
            String hook = "blocks.0.hook_resid_post"; // = input of block 1: tuned-lens layer 1
            ForwardResult r = m.runWithCache(toks, List.of(hook));
            int d = m.config().dModel();
            Tensor c = r.cache().get(hook);
            float[] h = Arrays.copyOfRange(c.data(), c.size() - d, c.size());

            List<TokenProbability> got = reader.tunedLensTokens(m, hook, h);
            // reference: the lens's logits for layer 1, softmax and ranking in plain Java
            float[] logits = lens.logits(1, new Tensor(h, 1, d)).data();
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (float v : logits) max = Math.max(max, v);
            for (float v : logits) z += Math.exp(v - max);
            Integer[] idx = new Integer[logits.length];
            for (int i = 0; i < idx.length; i++) idx[i] = i;
            Arrays.sort(idx, (a, b) -> Float.compare(logits[b], logits[a]));
            assertEquals(5, got.size());
            for (int i = 0; i < 5; i++) {
                assertEquals(idx[i], got.get(i).getTokenId());
                assertEquals(Math.exp(logits[idx[i]] - max) / z, got.get(i).getProbability(), 1e-5);
                assertEquals(m.tokenizer().decode(new int[] {idx[i]}), got.get(i).getToken());
            }
            // the same vector named as blocks.1.hook_resid_pre is the same residual layer
            assertEquals(got, reader.tunedLensTokens(m, "blocks.1.hook_resid_pre", h));
            // read(...) by hook carries them next to the logit lens and the Patchscope text
            RepresentationReader.Reading reading = reader.read(m, hook, h);
            assertEquals(got, reading.tunedLens());
            assertEquals(5, reading.logitLens().size());
            // a non-residual hook or a reader without lenses gives none
            assertTrue(reader.tunedLensTokens(m, "blocks.0.attn.hook_z", h).isEmpty());
            assertTrue(new ModelRepresentationReader(Map.of("zoo-small", m), reg, 5, 2).tunedLensTokens(m, hook, h).isEmpty());
            assertThrows(IllegalArgumentException.class,
                    () -> ModelRepresentationReader.withTunedLenses(Map.of(), cfg.tunedLensDirs(), reg, 5, 2));
        }
    }
}
