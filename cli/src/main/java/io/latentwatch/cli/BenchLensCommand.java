package io.latentwatch.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.lens.patchscope.Patchscope;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code latentwatch bench lens}: the monitor's cost of decoding ONE representation (a residual vector taken from
 * a real forward pass) with the logit lens, the tuned lens and the token-identity Patchscope, next to this machine's
 * float32 matmul GFLOP/s measured in the same run (the ceiling every number is compared with).
 */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = "Per-call latency and throughput of decoding one representation (logit lens, tuned lens, token-identity Patchscope) and the machine's matmul GFLOP/s.")
public class BenchLensCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint (llama2.c .bin or Hugging Face directory).") Path model;
    @Option(names = "--tokenizer", description = "Tokenizer; default: beside the model.") Path tokenizer;
    @Option(names = "--tuned", description = "Tuned-lens directory (default: identity translators, same cost).") Path tuned;
    @Option(names = "--layer", description = "Residual layer to decode (default: n_layers / 2).") Integer layer;
    @Option(names = "--iterations", defaultValue = "200", description = "Timed calls per decoder (default: ${DEFAULT-VALUE}).") int iterations;
    @Option(names = "--warmup", defaultValue = "20", description = "Untimed calls first (default: ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--matmul-size", defaultValue = "1024", description = "n of the n x n float32 matmul (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--json", description = "Print JSON.") boolean json;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    record Timing(double meanMs, double p50Ms, double p99Ms, double callsPerSecond) {}

    @Override
    public Integer call() throws Exception {
        try (HookedTransformer m = LensCliSupport.load(model, tokenizer)) {
            int l = layer == null ? m.config().nLayers() / 2 : layer;
            String text = "Once upon a time, there was a little girl named Lily";
            int[] toks = m.tokenizer() != null ? m.toTokens(text) : new int[]{Math.max(m.config().bosId(), 0), 1, 2};
            String hook = ResidualLayers.hook(m.config(), l);
            Tensor act = m.runWithCache(toks, List.of(hook)).cache().get(hook);
            float[] h = act.row(act.dim(0) - 1);
            Tensor one = new Tensor(h, 1, h.length);
            LogitLens logit = new LogitLens(m);
            TunedLens tl = tuned == null ? TunedLens.identity(m) : TunedLens.load(tuned, m);
            int[] idPrompt = TokenIdentityPrompt.tokens(m);
            Timing tLogit = time(() -> logit.logits(one));
            Timing tTuned = time(() -> tl.logits(l, one));
            Timing tId = time(() -> Patchscope.nextTokenLogits(m, idPrompt, l, -1, one, 1));
            double gflops = matmulGflops(m.manager());
            var w = spec.commandLine().getOut();
            if (json) {
                ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode o = om.createObjectNode();
                o.put("model", m.modelId());
                o.put("d_model", m.config().dModel());
                o.put("vocab_size", m.config().vocabSize());
                o.put("layer", l);
                o.put("iterations", iterations);
                o.put("available_processors", Runtime.getRuntime().availableProcessors());
                // other processes compete for the same cores: the load average says how far from idle the figures are
                o.put("system_load_average_1m", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                ObjectNode d = o.putObject("decoders");
                put(d.putObject("logit_lens"), tLogit);
                put(d.putObject("tuned_lens"), tTuned);
                ObjectNode ti = d.putObject("token_identity");
                put(ti, tId);
                ti.put("target_prompt_tokens", idPrompt.length);
                ObjectNode mm = o.putObject("matmul");
                mm.put("n", n);
                mm.put("dtype", "float32");
                mm.put("gflops", gflops);
                w.println(om.writeValueAsString(o));
            } else {
                w.printf(Locale.ROOT, "%s layer %d, one representation per call (%d calls):%n", m.modelId(), l, iterations);
                w.printf(Locale.ROOT, "  logit lens      %8.3f ms/call (p50 %.3f, p99 %.3f)  %8.0f calls/s%n", tLogit.meanMs, tLogit.p50Ms, tLogit.p99Ms, tLogit.callsPerSecond);
                w.printf(Locale.ROOT, "  tuned lens      %8.3f ms/call (p50 %.3f, p99 %.3f)  %8.0f calls/s%n", tTuned.meanMs, tTuned.p50Ms, tTuned.p99Ms, tTuned.callsPerSecond);
                w.printf(Locale.ROOT, "  token identity  %8.3f ms/call (p50 %.3f, p99 %.3f)  %8.0f calls/s%n", tId.meanMs, tId.p50Ms, tId.p99Ms, tId.callsPerSecond);
                w.printf(Locale.ROOT, "  matmul %dx%d float32: %.1f GFLOP/s%n", n, n, gflops);
            }
            w.flush();
            return 0;
        }
    }

    private static void put(ObjectNode o, Timing t) {
        o.put("mean_ms", t.meanMs);
        o.put("p50_ms", t.p50Ms);
        o.put("p99_ms", t.p99Ms);
        o.put("calls_per_second", t.callsPerSecond);
    }

    private Timing time(Supplier<?> call) {
        for (int i = 0; i < warmup; i++) call.get();
        double[] ms = new double[iterations];
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            call.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double total = (System.nanoTime() - start) / 1e9;
        double[] s = ms.clone();
        Arrays.sort(s);
        return new Timing(Arrays.stream(ms).average().orElse(0), s[s.length / 2], s[Math.min(s.length - 1, (int) Math.ceil(0.99 * s.length) - 1)],
                iterations / total);
    }

    /** Best of 5 timed batches of an n x n float32 matmul (2 n^3 flops each). */
    private double matmulGflops(NDManager parent) {
        try (NDManager m = parent.newSubManager()) {
            SplittableRandom r = new SplittableRandom(1);
            float[] a = new float[n * n], b = new float[n * n];
            for (int i = 0; i < a.length; i++) { a[i] = (float) r.nextGaussian(); b[i] = (float) r.nextGaussian(); }
            NDArray x = m.create(a, new Shape(n, n)), y = m.create(b, new Shape(n, n));
            x.matMul(y).close();
            int reps = Math.max(2, (int) (2e9 / (2.0 * n * n * n)));
            double best = 0;
            for (int k = 0; k < 5; k++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    NDArray z = x.matMul(y);
                    z.getFloat(0, 0); // force completion
                    z.close();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, 2.0 * n * n * n * reps / s / 1e9);
            }
            return best;
        }
    }
}
