package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.trainer.SaeTrainBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch bench sae-train}: SAE training tokens/s next to the matmul GFLOP/s of the same run. */
@Command(name = "sae-train", mixinStandardHelpOptions = true,
        description = "Measure SAE training throughput (tokens/s) and its share of this machine's float32 matmul GFLOP/s.")
public final class BenchSaeTrainCommand implements Callable<Integer> {
    @Option(names = "--d-in", defaultValue = "64", description = "Input width (default: ${DEFAULT-VALUE}, stories260K's d_model)")
    int dIn;

    @Option(names = "--d-sae", defaultValue = "512", description = "Latents (default: ${DEFAULT-VALUE})")
    int dSae;

    @Option(names = "--k", defaultValue = "16", description = "TopK k (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--batch-size", defaultValue = "1024", description = "Tokens per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "200", description = "Measured steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--json", description = "Print JSON only")
    boolean json;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Map<String, Object> r = SaeTrainBench.run(dIn, dSae, k, batch, steps);
        if (json) System.out.println(new ObjectMapper().writeValueAsString(r));
        else r.forEach((key, v) -> System.out.printf("%-16s %s%n", key, v));
        return 0;
    }
}
