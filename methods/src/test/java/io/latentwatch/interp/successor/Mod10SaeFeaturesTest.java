package io.latentwatch.interp.successor;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.paths.ComponentMath;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class Mod10SaeFeaturesTest {

    /** Rows t = 0..99: decade direction + units direction (random unit vectors) + N(0, noise^2) per coordinate. */
    static float[][] planted(int d, double units, double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] dec = new float[10][], uni = new float[10][];
        for (int k = 0; k < 10; k++) { dec[k] = unit(d, r); uni[k] = unit(d, r); }
        float[][] x = new float[100][d];
        for (int t = 0; t < 100; t++)
            for (int j = 0; j < d; j++) x[t][j] = (float) (dec[t / 10][j] + units * uni[t % 10][j] + noise * g(r));
        return x;
    }

    static float[] unit(int d, SplittableRandom r) {
        float[] v = new float[d];
        double n = 0;
        for (int j = 0; j < d; j++) { v[j] = (float) g(r); n += v[j] * v[j]; }
        for (int j = 0; j < d; j++) v[j] /= (float) Math.sqrt(n);
        return v;
    }

    static double g(SplittableRandom r) { return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()); }

    static int[] values() {
        int[] v = new int[100];
        for (int t = 0; t < 100; t++) v[t] = t;
        return v;
    }

    @Test
    void findsPlantedUnitsDirectionsAndNothingInNoise() {
        Mod10SaeFeatures.Fit planted = Mod10SaeFeatures.fit(planted(32, 1.0, 0.05, 7), values(), 1);
        System.out.printf("planted: %d mod-10 latents, %d classes, FVU %.3f, L0 %.2f, dead %d%n", planted.mod10().size(), planted.classesFound(),
                planted.fvu(), planted.l0(), planted.deadLatents());
        assertTrue(planted.classesFound() >= 7, "planted units directions: found only " + planted.classesFound() + " classes: " + planted.mod10());

        SplittableRandom r = new SplittableRandom(3);
        float[][] noise = new float[100][32];
        for (float[] row : noise) for (int j = 0; j < 32; j++) row[j] = (float) g(r);
        Mod10SaeFeatures.Fit none = Mod10SaeFeatures.fit(noise, values(), 1);
        System.out.printf("noise: %d mod-10 latents, %d classes%n", none.mod10().size(), none.classesFound());
        assertTrue(none.classesFound() <= 2, "pure noise gave mod-10 classes: " + none.mod10());
    }

    /** The F1 scoring against a hand count: latent 0 fires on t = 3, 13, 23, 33 and 4; latent 1 on 0..9 (one decade). */
    @Test
    void scoringMatchesAHandCount() {
        int[] v = values();
        float[][] z = new float[100][2];
        for (int t : new int[] {3, 13, 23, 33, 4}) z[t][0] = 1;
        for (int t = 0; t < 10; t++) z[t][1] = 2;
        List<Mod10SaeFeatures.Latent> s = Mod10SaeFeatures.score(z, v);
        Mod10SaeFeatures.Latent a = s.get(0), b = s.get(1);
        assertEquals(3, a.unitsClass());
        assertEquals(4.0 / 5, a.precision(), 1e-12);
        assertEquals(4.0 / 10, a.recall(), 1e-12);
        assertEquals(2 * 0.8 * 0.4 / 1.2, a.f1(), 1e-12);
        assertEquals(4, a.decades());
        assertFalse(a.mod10());
        assertEquals(1.0 / 10, b.precision(), 1e-12);
        assertEquals(1, b.decades());
        assertFalse(b.mod10());
        float[][] perfect = new float[100][1];
        for (int t = 7; t < 100; t += 10) perfect[t][0] = 0.5f;
        Mod10SaeFeatures.Latent p = Mod10SaeFeatures.score(perfect, v).get(0);
        assertEquals(7, p.unitsClass());
        assertEquals(1.0, p.f1(), 1e-12);
        assertTrue(p.mod10());
    }

    /** Reports the zoo-small figures; asserts only what must hold whatever the model learned. */
    @Test
    void zooSmallFigures() throws Exception {
        Path zoo = Path.of("../models/zoo-small");
        assertTrue(Files.isDirectory(zoo), "models/zoo-small is committed");
        try (HookedTransformer m = HookedTransformer.load(zoo, null)) {
            ModelWeights w = m.params().toWeights();
            OrdinalTask numbers = OrdinalTask.find(m.tokenizer(), m.config().vocabSize()).stream()
                    .filter(t -> t.name().equals("numbers")).findFirst().orElseThrow();
            List<Integer> idl = new ArrayList<>(), vl = new ArrayList<>();
            for (int i = 0; i < numbers.items().size(); i++)
                if (numbers.ids()[i] >= 0) { idl.add(numbers.ids()[i]); vl.add(Integer.parseInt(numbers.items().get(i))); }
            int[] ids = idl.stream().mapToInt(Integer::intValue).toArray(), vals = vl.stream().mapToInt(Integer::intValue).toArray();
            OvCircuit ov = new OvCircuit(new ComponentMath(w));
            // the head the report studies: the best successor head after block 0 (reads MLP0's output)
            double[][] sc = SuccessionScores.compute(ov, List.of(numbers)).pooled();
            int layer = 1, head = 0;
            for (int l = 1; l < sc.length; l++) for (int h = 0; h < sc[l].length; h++) if (sc[l][h] > sc[layer][head]) { layer = l; head = h; }
            Mod10SaeFeatures.Result res = Mod10SaeFeatures.analyse(ov, layer, head, ids, vals, 1);
            System.out.printf("zoo-small L%dH%d: %d numbers, %d mod-10 latents (classes %d), FVU %.3f, L0 %.2f, dead %d; units acc model %.3f all %.3f mod10-only %.3f removed %.3f%n",
                    layer, head, res.numbers(), res.fit().mod10().size(), res.fit().classesFound(), res.fit().fvu(), res.fit().l0(), res.fit().deadLatents(),
                    res.unitsAccuracyModel(), res.unitsAccuracyAllLatents(), res.unitsAccuracyMod10Only(), res.unitsAccuracyMod10Removed());
            assertEquals(ids.length, res.numbers());
            assertEquals(Mod10SaeFeatures.D_SAE, res.fit().latents().size());
            // the head's accuracy on e + m must equal Mod10Features' on the effective embedding (same input)
            assertEquals(Mod10Features.unitsAccuracy(ov, layer, head, ov.effectiveEmbeddings(ids), ids, vals), res.unitsAccuracyModel(), 1e-12);
            if (res.fit().mod10().isEmpty()) // nothing removed: identical to the model's input
                assertEquals(res.unitsAccuracyModel(), res.unitsAccuracyMod10Removed(), 1e-12);
        }
    }
}
