package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.cli.bench.MonitorBench;
import io.latentwatch.cli.bench.SweepReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** {@code latentwatch bench monitor}: monitor throughput and latency on the in-process broker next to the matmul ceiling. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Measure the monitor end to end on the in-process broker with an SAE of d_in 768, d_sae 24576, TopK k 64 "
                + "(random weights: throughput does not depend on trained ones): the samples/s it sustains draining a backlog, "
                + "p50/p99 latency (sample timestamp to projection visible after the exactly-once commit) at half that rate, and "
                + "the projection's FLOPs per sample with the ceiling implied by this machine's float32 matmul GFLOP/s measured "
                + "in the same run; next to it, the peer: a plain consumer -> decode -> matmul/TopK -> producer loop on the same records "
                + "and SAE (peer_samples_per_s, peer_ratio = monitor / peer). --instances runs the monitor as separate processes "
                + "instead; --sweep measures the cost as d_sae, k, d_in, positions and (model, hook) keys grow."})
public final class BenchMonitorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--instances", split = ",", paramLabel = "N[,N...]", description = "Instead of the single-process run: the "
            + "monitor as N separate processes (latentwatch monitor, one JVM each) in one group on a topic of 2*max(N) partitions, "
            + "with the Apicurio Registry as a separate process, reporting samples/s per instance count, e.g. --instances 1,2,4")
    List<Integer> instances = new ArrayList<>();

    @Option(names = "--sweep", description = "Instead of the single-process run: the cost sweep (d_sae 4k-64k, k, d_in 64-4096, "
            + "positions per request, (model, hook) keys; a few minutes), written as a Markdown table and a PNG to --sweep-out")
    boolean sweep;

    @Option(names = "--sweep-out", defaultValue = "bench-sweep", paramLabel = "DIR",
            description = "Where --sweep writes monitor-sweep.md and monitor-sweep.png (default: ${DEFAULT-VALUE})")
    Path sweepOut;

    @Option(names = "--json", description = "Print JSON only")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        Consumer<String> log = msg -> { if (!json) System.out.println("bench monitor: " + msg); };
        for (int n : instances) if (n < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--instances must be >= 1, got " + n);
        if (sweep && !instances.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "--sweep and --instances are separate runs");
        if (sweep) {
            List<Map<String, Object>> rows = MonitorBench.sweep(samples == 3000 ? 600 : samples, Duration.ofSeconds(Math.min(latencySeconds, 4)),
                    sweepOut, log);
            if (json) System.out.println(new ObjectMapper().writeValueAsString(rows));
            else System.out.print(SweepReport.table(rows));
            return 0;
        }
        Map<String, Object> r = instances.isEmpty()
                ? MonitorBench.run(dIn, dSae, k, samples, Duration.ofSeconds(latencySeconds), settings, log)
                : MonitorBench.instances(instances, dIn, dSae, k, samples, log);
        if (json) System.out.println(new ObjectMapper().writeValueAsString(r));
        else r.forEach((key, v) -> System.out.printf("%-28s %s%n", key, v));
        return 0;
    }
}
