package io.latentwatch.cli;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelBenchmark;
import io.latentwatch.interp.model.ModelLoader;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;


/**
 * {@code latentwatch bench}: benchmarks, each printed next to this machine's float32 matmul
 * GFLOP/s measured in the same run ({@link io.latentwatch.cli.bench.MatmulCeiling}). Other
 * benchmarks register here as subcommands.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks of latentwatch's parts, each reported next to this machine's float32 matmul GFLOP/s "
                + "measured in the same run. Add --json for machine-readable output.",
                "Subcommands: model (prefill/decode tokens/s of the runtime), monitor (samples/s and latency of the streaming SAE projection), node (sampling overhead "
                        + "on generation), sae-train (SAE training tokens/s), lens (per-call latency of the logit lens, tuned lens and token-identity Patchscope)."},
        subcommands = {BenchMonitorCommand.class, BenchNodeCommand.class, BenchSaeTrainCommand.class, BenchCommand.ModelBench.class, BenchLensCommand.class,
                CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = "Prefill and decode tokens/s of models (stories260K, the zoo, a random GPT-2-small-sized model), "
                    + "the cost of caching every residual hook, and the machine's float32 matmul GFLOP/s in the same run.")
    static final class ModelBench implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--model", description = "Model to measure (repeatable); default: stories260K from ../shared, the zoo under models/.")
        List<Path> models = new ArrayList<>();
        @Option(names = "--skip-gpt2-small",
                description = "Do not measure the random-initialised GPT-2-small-sized model (124M parameters) measured by default.")
        boolean skipGpt2Small;
        @Option(names = "--prompt-length", defaultValue = "128", description = "Prefill length (default ${DEFAULT-VALUE}).")
        int promptLength;
        @Option(names = "--decode-tokens", defaultValue = "64", description = "Generated tokens for the decode rate (default ${DEFAULT-VALUE}).")
        int decodeTokens;
        @Option(names = "--reps", defaultValue = "5", description = "Repetitions per measurement, median reported (default ${DEFAULT-VALUE}).")
        int reps;
        @Option(names = "--matmul-size", defaultValue = "1024", description = "n of the n x n matmul (default ${DEFAULT-VALUE}).")
        int matmulSize;
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            CliSupport.offline();
            PrintWriter out = spec.commandLine().getOut();
            List<Path> todo = new ArrayList<>(models);
            if (todo.isEmpty()) {
                for (String s : new String[]{"../shared/models/stories260K/stories260K.bin", "../../shared/models/stories260K/stories260K.bin"}) {
                    if (Files.isRegularFile(Path.of(s))) {
                        todo.add(Path.of(s));
                        break;
                    }
                }
                if (Files.isDirectory(Path.of("models"))) {
                    try (Stream<Path> s = Files.list(Path.of("models")).sorted()) {
                        s.filter(p -> Files.isRegularFile(p.resolve("config.json"))).forEach(todo::add);
                    }
                }
            }
            Path tmp = null;
            if (!skipGpt2Small) {
                tmp = Files.createTempDirectory("lw-bench-gpt2-small-");
                RandomCheckpoints.writeGpt2(tmp, RandomCheckpoints.Gpt2Spec.small(), 0, DType.F32, 1);
                todo.add(tmp);
            }
            ObjectNode root = new ObjectMapper().createObjectNode();
            root.put("matmul_n", matmulSize);
            root.put("matmul_gflops", ModelBenchmark.matmulGflops(matmulSize, Math.max(3, reps)));
            root.put("torch_threads", JniUtils.getNumThreads());
            root.put("cpus", Runtime.getRuntime().availableProcessors());
            ArrayNode arr = root.putArray("models");
            try {
                for (Path p : todo) {
                    try (HookedTransformer m = ModelLoader.load(p, null)) {
                        ModelBenchmark.Result r = ModelBenchmark.run(m, promptLength, decodeTokens, reps);
                        ObjectNode o = arr.addObject();
                        o.put("model", p.equals(tmp) ? "random-gpt2-small" : r.model());
                        o.put("parameters", r.parameters());
                        o.put("prompt_length", r.promptLength());
                        o.put("prefill_tokens_per_s", r.prefillTokensPerS());
                        o.put("decode_tokens", r.decodeTokens());
                        o.put("decode_tokens_per_s", r.decodeTokensPerS());
                        o.put("prefill_ms", r.prefillMsWithoutCache());
                        o.put("prefill_ms_cache_all_resid", r.prefillMsWithResidCache());
                        o.put("cache_all_resid_overhead", r.cacheResidOverhead());
                        if (!json) {
                            out.printf("%-22s %10d params  prefill %9.1f tok/s  decode %8.1f tok/s  cache-all-resid x%.3f%n",
                                    o.get("model").asText(), r.parameters(), r.prefillTokensPerS(), r.decodeTokensPerS(), r.cacheResidOverhead());
                            out.flush();
                        }
                    }
                }
            } finally {
                if (tmp != null) {
                    try (Stream<Path> s = Files.walk(tmp)) {
                        s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    }
                }
            }
            if (json) out.println(root.toPrettyString());
            else out.printf("matmul %dx%d: %.1f GFLOP/s%n", matmulSize, matmulSize, root.get("matmul_gflops").asDouble());
            out.flush();
            return 0;
        }
    }
}
