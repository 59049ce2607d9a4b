package io.latentwatch.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTraining;
import io.latentwatch.interp.sae.SaeTrainingOptions;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@code bench sae-train}: SAE training throughput next to the machine's float32 matmul GFLOP/s,
 * both measured in the same run. Training FLOPs per token ≈ 10·d_in·d_sae (forward: encoder and
 * decoder matmuls 2·d·s each; backward: ∂W_dec, ∂z, ∂W_enc 2·d·s each), so the share is
 * tokens/s × 10·d·s / matmul FLOP/s. Activations are synthetic (sparse sums of random directions),
 * so the figure is the optimiser's, not the model's.
 */
public final class SaeTrainBench {
    private SaeTrainBench() {}

    public static Map<String, Object> run(int dIn, int dSae, int k, int batch, int steps) {
        double gemm = matmulGflops(1024, 5);
        Random r = new Random(1);
        float[][] dirs = new float[dSae][dIn];
        for (float[] u : dirs) for (int j = 0; j < dIn; j++) u[j] = (float) r.nextGaussian();
        SaeTraining.Batches src = n -> {
            float[] x = new float[n * dIn];
            for (int i = 0; i < n; i++) for (int a = 0; a < 4; a++) {
                float[] u = dirs[r.nextInt(dSae)];
                float amp = r.nextFloat();
                for (int j = 0; j < dIn; j++) x[i * dIn + j] += amp * u[j];
            }
            return x;
        };
        SaeConfig cfg = SaeConfig.topk(dIn, dSae, k, "blocks.0.hook_resid_post", "bench");
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(steps).withBatchSize(batch).withEvalEvery(Integer.MAX_VALUE);
        // warm-up run (JIT, libtorch kernels), then the measured one
        SaeTraining.train(cfg, opt.withSteps(Math.max(2, steps / 10)), src.next(1024), src, src.next(256)).sae().close();
        SaeTraining.Result res = SaeTraining.train(cfg, opt, src.next(1024), src, src.next(256));
        res.sae().close();
        double tps = res.tokensPerSecond();
        double trainGflops = tps * 10.0 * dIn * dSae / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("d_in", dIn);
        m.put("d_sae", dSae);
        m.put("k", k);
        m.put("batch", batch);
        m.put("steps", steps);
        m.put("tokens_per_s", tps);
        m.put("train_gflops", trainGflops);
        m.put("gemm_gflops", gemm);
        m.put("share_of_gemm", trainGflops / gemm);
        return m;
    }

    /** Best-of-{@code reps} GFLOP/s of an n×n×n float32 matmul on the default engine. */
    public static double matmulGflops(int n, int reps) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = 0;
            for (int i = 0; i < reps; i++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.getFloat(0, 0);                       // force completion
                double s = (System.nanoTime() - t0) / 1e9;
                c.close();
                best = Math.max(best, 2.0 * n * n * n / s / 1e9);
            }
            return best;
        }
    }
}
