package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.cli.bench.MonitorBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch bench monitor}: monitor throughput and latency on the in-process broker next to the matmul ceiling. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Measure the monitor end to end on the in-process broker with an SAE of d_in 768, d_sae 24576, TopK k 64 "
                + "(random weights: throughput does not depend on trained ones): the samples/s it sustains draining a backlog, "
                + "p50/p99 latency (sample timestamp to projection visible after the exactly-once commit) at half that rate, and "
                + "the projection's FLOPs per sample with the ceiling implied by this machine's float32 matmul GFLOP/s measured "
                + "in the same run."})
public final class BenchMonitorCommand implements Callable<Integer> {
    @Option(names = "--d-in", defaultValue = "768", description = "SAE input width (default: ${DEFAULT-VALUE})")
    int dIn;

    @Option(names = "--d-sae", defaultValue = "24576", description = "SAE latents (default: ${DEFAULT-VALUE})")
    int dSae;

    @Option(names = "--k", defaultValue = "64", description = "TopK k (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--samples", defaultValue = "3000", description = "Backlog drained for the throughput figure (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--latency-seconds", defaultValue = "10", description = "Length of the half-rate latency phase (default: ${DEFAULT-VALUE})")
    int latencySeconds;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A monitor setting over its default, repeatable, e.g. "
            + "--set monitor.batch.max.ms=50 (see `latentwatch monitor --help` for the keys)")
    Map<String, String> settings = new java.util.LinkedHashMap<>();

    @Option(names = "--json", description = "Print JSON only")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        Map<String, Object> r = MonitorBench.run(dIn, dSae, k, samples, Duration.ofSeconds(latencySeconds), settings,
                msg -> { if (!json) System.out.println("bench monitor: " + msg); });
        if (json) System.out.println(new ObjectMapper().writeValueAsString(r));
        else r.forEach((key, v) -> System.out.printf("%-28s %s%n", key, v));
        return 0;
    }
}
