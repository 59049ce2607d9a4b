package io.latentwatch.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine's float32 matmul throughput, measured in the same run as a benchmark so every
 * figure can be read as a share of it (DESIGN.md: ~260-290 GFLOP/s on two cores). An m×k by k×n
 * product costs 2·m·k·n FLOPs. Shared by the {@code bench} subcommands.
 */
public final class MatmulCeiling {
    private MatmulCeiling() {}

    /** Result of one measurement: best and median GFLOP/s over the timed repeats. */
    public record Result(int m, int k, int n, int repeats, double bestGflops, double medianGflops) {
        public Map<String, Object> toMap() {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("shape", m + "x" + k + "x" + n);
            o.put("repeats", repeats);
            o.put("best_gflops", round(bestGflops));
            o.put("median_gflops", round(medianGflops));
            return o;
        }
    }

    /** Square n×n×n (the DESIGN.md reference figure uses n = 1024). */
    public static Result square(int n, int repeats) {
        return measure(n, n, n, repeats);
    }

    /** GFLOP/s of an {@code m×k · k×n} float32 NDArray matmul on the default engine, after one warm-up product. */
    public static Result measure(int m, int k, int n, int repeats) {
        if (m <= 0 || k <= 0 || n <= 0 || repeats <= 0) throw new IllegalArgumentException("matmul dimensions and repeats must be positive");
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        try (NDManager mgr = NDManager.newBaseManager()) {
            NDArray a = mgr.randomNormal(new Shape(m, k));
            NDArray b = mgr.randomNormal(new Shape(k, n));
            a.matMul(b).close();
            double[] g = new double[repeats];
            double flops = 2.0 * m * k * n;
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                NDArray c = a.matMul(b);
                c.toFloatArray(); // forces completion on lazy engines; copies m·n floats, small next to the product
                long dt = System.nanoTime() - t0;
                c.close();
                g[r] = flops / dt; // FLOP per ns = GFLOP/s
            }
            double[] s = g.clone();
            Arrays.sort(s);
            return new Result(m, k, n, repeats, s[s.length - 1], s[s.length / 2]);
        }
    }

    static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
