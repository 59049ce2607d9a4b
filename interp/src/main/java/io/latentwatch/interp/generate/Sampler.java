package io.latentwatch.interp.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from one position's logits: argmax at temperature 0; otherwise softmax(logits / T)
 * restricted to the top-k tokens and then to the smallest set whose probability reaches top-p (Holtzman et
 * al. 2019), renormalised, sampled with a seeded SplittableRandom (reproducible for a given seed).
 */
public final class Sampler {
    private final GenerationConfig cfg;
    private final SplittableRandom rng;

    public Sampler(GenerationConfig cfg) {
        this.cfg = cfg;
        this.rng = new SplittableRandom(cfg.seed());
    }

    public int next(float[] logits) {
        if (cfg.temperature() == 0f) return argmax(logits);
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = cfg.topK() > 0 ? Math.min(cfg.topK(), n) : n;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / cfg.temperature());
            sum += p[i];
        }
        if (cfg.topP() < 1f) {
            double cum = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cum += p[i] / sum;
                if (cum >= cfg.topP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++) sum += p[i];
        }
        double r = rng.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (r < acc) return order[i];
        }
        return order[keep - 1];
    }

    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
