package io.latentwatch.monitor.detect;

import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.zoo.FactTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lens-trajectory detector on the committed zoo-small model and its committed tuned lens. */
class ZooLensTrajectoryTest {
    static final String EARLY = "blocks.0.hook_resid_post", FINAL = "blocks.1.hook_resid_post";
    static HookedTransformer zoo;
    static TunedLens lens;

    static Path repo(String p) { return Files.exists(Path.of("../" + p)) ? Path.of("../" + p) : Path.of(p); }

    @BeforeAll
    static void load() throws Exception {
        zoo = HookedTransformer.load(repo("models/zoo-small"), null);
        lens = TunedLens.load(repo("docs/reports/lens/zoo-small/tuned"), zoo);
    }

    @AfterAll
    static void close() { zoo.close(); }

    /** (early, final) residual pairs at every position of zoo-like sentences. */
    static List<float[][]> pairs(int sentences) {
        List<float[][]> out = new ArrayList<>();
        FactTable f = FactTable.get();
        List<String> persons = new ArrayList<>(f.cities().keySet());
        int d = zoo.config().dModel();
        for (int s = 0; s < sentences; s++) {
            String p = persons.get(s % persons.size());
            String text = s % 2 == 0 ? p + " lives in " + f.cityOf(p) + " ." : f.cityOf(p) + " is in " + f.countryOf(f.cityOf(p)) + " .";
            int[] toks = zoo.toTokens(text);
            ForwardResult r = zoo.runWithCache(toks, List.of(EARLY, FINAL));
            Tensor e = r.cache().get(EARLY), fin = r.cache().get(FINAL);
            for (int pos = 1; pos < toks.length; pos++) {
                out.add(new float[][] {Arrays.copyOfRange(e.data(), pos * d, (pos + 1) * d), Arrays.copyOfRange(fin.data(), pos * d, (pos + 1) * d)});
            }
        }
        return out;
    }

    @Test
    void hooksMapToTunedLensLayers() {
        assertEquals(1, HookName.residualLayer(zoo.config(), EARLY));
        assertEquals(1, HookName.residualLayer(zoo.config(), "blocks.1.hook_resid_pre"));
        assertEquals(0, HookName.residualLayer(zoo.config(), "blocks.0.hook_resid_pre"));
        assertEquals(2, HookName.residualLayer(zoo.config(), FINAL));
        assertEquals(-1, HookName.residualLayer(zoo.config(), "blocks.0.hook_resid_mid"));
        assertEquals(-1, HookName.residualLayer(zoo.config(), "blocks.7.hook_resid_pre"));
        assertEquals(FINAL, LensTrajectoryScorer.finalHook(zoo.config()));
    }

    /** The scorer's KL is the scalar KL of the model's own output logits and the tuned lens's logits. */
    @Test
    void scoreIsKlOfModelOutputFromTunedLensPrediction() {
        LensTrajectoryScorer scorer = new LensTrajectoryScorer(Map.of("zoo-small", zoo), Map.of("zoo-small", lens));
        int[] toks = zoo.toTokens("alice lives in");
        ForwardResult r = zoo.runWithCache(toks, List.of(EARLY, FINAL));
        int d = zoo.config().dModel();
        float[] e = Arrays.copyOfRange(r.cache().get(EARLY).data(), (toks.length - 1) * d, toks.length * d);
        float[] fin = Arrays.copyOfRange(r.cache().get(FINAL).data(), (toks.length - 1) * d, toks.length * d);
        float[] out = r.lastLogits(); // the model's own output: the final logit lens must reproduce it
        float[] tuned = lens.logits(1, new Tensor(e, 1, d)).data();
        double p = 0, q = 0, kl = 0, mo = Double.NEGATIVE_INFINITY, mt = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < out.length; i++) { mo = Math.max(mo, out[i]); mt = Math.max(mt, tuned[i]); }
        for (int i = 0; i < out.length; i++) { p += Math.exp(out[i] - mo); q += Math.exp(tuned[i] - mt); }
        for (int i = 0; i < out.length; i++) {
            double pi = Math.exp(out[i] - mo) / p, qi = Math.exp(tuned[i] - mt) / q;
            if (pi > 0) kl += pi * Math.log(pi / qi);
        }
        assertEquals(kl, scorer.score("zoo-small", 1, e, fin), 1e-3 * Math.max(1, kl));
    }

    /**
     * Warm-up on the pairs of 60 sentences, then held-out normal pairs of 60 other sentences: with q = 0.99 and
     * margin 1.5 the false-alarm rate must stay below 5%; an early residual replaced by a random vector of the
     * same norm (an early layer that does not lead to what the model outputs) must fire at most positions.
     */
    @Test
    void fewFalseAlarmsOnNormalPairsAndInjectedDivergentPairsFire() {
        LensTrajectoryScorer scorer = new LensTrajectoryScorer(Map.of("zoo-small", zoo), Map.of("zoo-small", lens));
        List<float[][]> all = pairs(120);
        int half = all.size() / 2;
        LensTrajectoryDetector det = new LensTrajectoryDetector(half, 0.99, 1.5);
        for (float[][] p : all.subList(0, half)) assertTrue(det.evaluate("zoo-small|1", scorer.score("zoo-small", 1, p[0], p[1])).warmingUp());
        int alarms = 0;
        List<float[][]> test = all.subList(half, all.size());
        for (float[][] p : test) if (det.evaluate("zoo-small|1", scorer.score("zoo-small", 1, p[0], p[1])).alert()) alarms++;
        double rate = alarms / (double) test.size();
        System.out.printf("lens trajectory on zoo-small: %d held-out pairs, threshold %.4f nats, false-alarm rate %.4f%n",
                test.size(), det.threshold("zoo-small|1"), rate);
        assertTrue(rate < 0.05, "false-alarm rate " + rate);

        Random r = new Random(3);
        int fired = 0, n = 50;
        for (int i = 0; i < n; i++) {
            float[][] p = test.get(i);
            double norm = 0;
            for (float v : p[0]) norm += v * v;
            float[] g = new float[p[0].length];
            double gn = 0;
            for (int j = 0; j < g.length; j++) { g[j] = (float) r.nextGaussian(); gn += g[j] * g[j]; }
            for (int j = 0; j < g.length; j++) g[j] *= (float) Math.sqrt(norm / gn);
            if (det.evaluate("zoo-small|1", scorer.score("zoo-small", 1, g, p[1])).alert()) fired++;
        }
        System.out.printf("lens trajectory on zoo-small: injected random early residuals fired %d / %d%n", fired, n);
        assertTrue(fired >= 0.5 * n, "injected random early residuals fired " + fired + " / " + n);

        // Mismatched trajectories: the early residual of one position with the final residual of another position
        // whose output's top token differs (early layers on one path, output from another).
        int mismatched = 0, fm = 0;
        for (int i = 0; i < test.size() && mismatched < n; i++) {
            float[][] a = test.get(i), b = test.get((i + 37) % test.size());
            float[] fa = LensTrajectoryScorer.finalLogits(zoo, a[1]), fb = LensTrajectoryScorer.finalLogits(zoo, b[1]);
            if (LensMath.argmax(fa) == LensMath.argmax(fb)) continue;
            mismatched++;
            if (det.evaluate("zoo-small|1", scorer.score("zoo-small", 1, b[0], a[1])).alert()) fm++;
        }
        System.out.printf("lens trajectory on zoo-small: mismatched early/final pairs fired %d / %d%n", fm, mismatched);
        assertTrue(mismatched >= 30 && fm >= 0.8 * mismatched, "mismatched pairs fired " + fm + " / " + mismatched);
    }
}
