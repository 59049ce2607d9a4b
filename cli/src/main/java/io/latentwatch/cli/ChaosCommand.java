package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.chaos.ChaosReport;
import io.latentwatch.chaos.ChaosRunner;
import io.latentwatch.chaos.LocalStack;
import io.latentwatch.chaos.Scenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code latentwatch chaos SCENARIO --dir DIR}: one scenario of the fault suite on the local stack. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"The fault suite. Brings the local stack of separate processes (deploy/local/stack) up under --dir, sends "
                + "seeded mixed traffic to its node once without a fault (the reference) and once with SCENARIO's fault injected "
                + "--fault-after into it, then compares the alerts and explanations of the two runs per detector (missing, extra, "
                + "duplicated: zero for recon-error, rare-latent, circuit and watchlist, whose verdict depends on the sample alone), "
                + "and reports the samples captured, accepted, dropped-and-counted and processed, the time until every partition "
                + "is processed again, the node's request p99 during the fault, latentwatch audit verify, and after broker and "
                + "registry faults whether every record of every topic still decodes. Exit status 0 when the scenario passed.",
                "Scenarios: monitor-kill-one (kill -9 of one of two monitors), monitor-kill-only (kill -9 of the only monitor, "
                        + "restarted on its state directory), monitor-kill-only-wiped (restarted on a wiped one), broker-restart "
                        + "(SIGTERM, restart on its data), broker-kill (kill -9, restart on its data; fails on Kafka 4.3.1, see "
                        + "docs/reliability.md), registry-down (kill -9, 30 s down, restart), trainer-kill-publishing (kill -9 "
                        + "while it writes a new SAE version), broker-unreachable (broker paused 60 s; the node keeps answering).",
                "Example: latentwatch chaos monitor-kill-one --dir var/chaos --json report.json"})
public final class ChaosCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SCENARIO", description = "A scenario (see above), or 'all'")
    String scenario;

    @Option(names = "--dir", required = true, description = "Directory of the stack (created and brought up when needed)")
    Path dir;

    @Option(names = "--base-port", defaultValue = "19000", description = "First port of a new stack's addresses (default: ${DEFAULT-VALUE})")
    int basePort;

    @Option(names = "--requests", defaultValue = "120", description = "Requests per run (broker-unreachable: at least 90 s of them) (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--rate", defaultValue = "4", description = "Requests per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the traffic, the same in both runs (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--inject-share", defaultValue = "0.4", description = "Share of anomalies and circuit triggers in the mixed "
            + "traffic (default: ${DEFAULT-VALUE})")
    double injectShare;

    @Option(names = "--fault-after", converter = DurationConverter.class, defaultValue = "8s",
            description = "When the fault is injected into the fault run (default: ${DEFAULT-VALUE})")
    Duration faultAfter;

    @Option(names = "--with-observability", description = "Also run Prometheus and Alertmanager in the stack")
    boolean observability;

    @Option(names = "--jar", description = "The latentwatch jar the services run (default: this one)")
    Path jar;

    @Option(names = "--stack-script", description = "deploy/local/stack (default: found above the jar)")
    Path script;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the reports as JSON")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path j = jar != null ? jar : Path.of(ChaosCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path s = script != null ? script : LocalStack.locateScript(j);
        LocalStack stack = new LocalStack(s, dir, j, basePort, observability ? List.of() : List.of("--without-observability"));
        List<Scenario> todo = scenario.equals("all") ? List.of(Scenario.values()) : List.of(Scenario.parse(scenario));
        ChaosRunner runner = new ChaosRunner(stack, new ChaosRunner.Options(requests, rate, seed, injectShare, faultAfter, Duration.ofMinutes(4)),
                line -> System.err.println("chaos: " + line));
        List<ChaosReport> reports = new ArrayList<>();
        boolean ok = true;
        for (Scenario x : todo) {
            ChaosReport r = runner.run(x);
            reports.add(r);
            System.out.print(r.summary());
            ok &= r.passed();
        }
        if (json != null) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            var arr = m.createArrayNode();
            reports.forEach(r -> arr.add(r.toJson()));
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            m.writeValue(json.toFile(), arr);
        }
        return ok ? 0 : 1;
    }
}
