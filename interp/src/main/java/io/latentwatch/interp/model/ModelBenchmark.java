package io.latentwatch.interp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.HookPoints;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Throughput of one model on this machine, measured beside the machine's float32 matmul rate in the same
 * process so numbers from different machines can be compared as a fraction of what the hardware does.
 */
public final class ModelBenchmark {
    private ModelBenchmark() {}

    /**
     * @param prefillTokensPerS prompt tokens per second of a full forward over {@code promptLength} tokens
     * @param decodeTokensPerS  generated tokens per second with the KV cache (greedy, no stops)
     * @param cacheResidOverhead forward time with every residual hook cached divided by the time without (1.0 = free)
     */
    public record Result(String model, long parameters, int promptLength, int decodeTokens, double prefillTokensPerS,
                         double decodeTokensPerS, double prefillMsWithoutCache, double prefillMsWithResidCache,
                         double cacheResidOverhead) {}

    /** GFLOP/s of an n x n float32 matmul on the PyTorch engine (median of {@code reps}). */
    public static double matmulGflops(int n, int reps) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray a = m.randomUniform(-1, 1, new Shape(n, n));
            NDArray b = m.randomUniform(-1, 1, new Shape(n, n));
            a.matMul(b).close(); // warm-up
            double[] t = new double[reps];
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                a.matMul(b).close();
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            return 2.0 * n * n * n / median(t) / 1e9;
        }
    }

    public static Result run(HookedTransformer model, int promptLength, int decodeTokens, int reps) {
        ModelConfig c = model.config();
        int p = Math.min(promptLength, c.nCtx());
        int[] prompt = new int[p];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < p; i++) prompt[i] = r.nextInt(c.vocabSize());
        if (c.bosId() >= 0) prompt[0] = c.bosId();
        var resid = HookPoints.residuals(c);
        model.logits(prompt); // warm-up
        model.runWithCache(prompt, resid);
        double[] plain = new double[reps], cached = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            model.logits(prompt);
            plain[i] = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            model.runWithCache(prompt, resid);
            cached[i] = (System.nanoTime() - t0) / 1e9;
        }
        int g = Math.min(decodeTokens, c.nCtx() - 1);
        GenerationConfig gc = GenerationConfig.greedy(g).withStops(false, false);
        int[] bos = {c.bosId() >= 0 ? c.bosId() : 0};
        Generator.generate(model, bos, GenerationConfig.greedy(Math.min(8, g)).withStops(false, false)); // warm-up
        long t0 = System.nanoTime();
        Generator.generate(model, bos, gc);
        double decodeS = (System.nanoTime() - t0) / 1e9;
        double pm = median(plain), cm = median(cached);
        return new Result(model.modelId(), parameters(model), p, g, p / pm, g / decodeS, pm * 1e3, cm * 1e3, cm / pm);
    }

    static long parameters(HookedTransformer m) {
        long n = 0;
        try (NDScope s = new NDScope()) {
            s.suppressNotUsedWarning();
            for (NDArray a : m.params().parameters()) n += a.size();
        }
        return n;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
