package io.latentwatch.cli;

import io.latentwatch.cli.demo.DemoOptions;
import io.latentwatch.cli.demo.DemoRun;
import io.latentwatch.interp.sae.TrainingMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Everything in one process, on real model traffic: an in-process Kafka broker and schema
 * registry; an inference node serving a real checkpoint (the zoo model, else stories260K) and
 * publishing sampled hidden states; an initial trainer run (SAE + baseline + labels for one residual
 * hook, published as an SaeVersion); the monitor (SAE projection, detectors, explanations, and the lens trajectory:
 * an early residual read with a tuned lens vs the final residual, warmed up on known-good requests); a traffic
 * generator sending in-domain prompts mixed with injected anomalies and planted-circuit triggers;
 * a few malformed records for the dead-letter path; a refit mid-run that publishes a new SaeVersion
 * (hot swap); and a console printing each alert and a status line. Ends with a summary scored
 * against the injected ground truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs latentwatch end to end in this process on real model traffic: an embedded Kafka broker and schema "
                + "registry, an inference node on a real checkpoint (models/zoo-small, else stories260K), an initial SAE training "
                + "run, the monitor, a traffic generator mixing in-domain prompts with injected anomalies and circuit triggers, "
                + "a few malformed records, and a refit mid-run that hot-swaps the SAE version. The lens-trajectory detector compares "
                + "blocks.0.hook_resid_post (read with the tuned lens) with the final residual, its baseline warmed up on known-good "
                + "requests before the traffic. Prints each alert and a status "
                + "line as it goes, then a summary with each detector's precision and recall against the injected ground truth.",
                "Example: latentwatch demo --duration 2m --summary-json summary.json"})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class, defaultValue = "30s",
            description = "How long to send traffic (e.g. 30s, 2m, 1m30s). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--summary-json", paramLabel = "FILE",
            description = "Also write the summary (samples_processed, dlq, alerts, alerts_by_detector, explanations, hot_swaps, "
                    + "detectors' precision and recall, ...) to FILE as JSON.")
    Path summaryJson;

    @Option(names = "--model", description = "Checkpoint for the node (default: models/zoo-small, else stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--hook", description = "Hook the node samples and the SAE is trained on (default: blocks.1.hook_resid_post)")
    String hook;

    @Option(names = "--positions", defaultValue = "random-k", description = "Positions the node publishes: last, all or random-k (4 per request). Default: ${DEFAULT-VALUE}.")
    String positions;

    @Option(names = "--rate", defaultValue = "4", description = "Requests per second the traffic generator sends. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--inject-share", defaultValue = "0.2",
            description = "Share of requests that are injected anomalies or circuit triggers (half each). Default: ${DEFAULT-VALUE}.")
    double injectShare;

    @Option(names = "--max-tokens", defaultValue = "8", description = "max_tokens of each request. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--malformed-rate", defaultValue = "0.5",
            description = "Malformed records per second written beside the node (dead-letter path); 0 = none. Default: ${DEFAULT-VALUE}.")
    double malformedRate;

    @Option(names = "--sae-steps", defaultValue = "200", description = "Training steps of each SAE fit. Default: ${DEFAULT-VALUE}.")
    int saeSteps;

    @Option(names = "--sae-architecture", defaultValue = "topk",
            description = "How the residual SAE is trained: topk, batchtopk (saved as JumpReLU with the learned threshold, as SAELens "
                    + "does) or jumprelu (straight-through estimator); the quality gates judge each the same way. Default: ${DEFAULT-VALUE}.")
    String saeArchitecture;

    @Option(names = "--circuit-task", defaultValue = "succession",
            description = "Task of the model's circuits.json whose circuit is discovered before traffic and watched by the circuit detector "
                    + "(SaeVersion of blocks.1.attn.hook_result; block 0 on a one-layer model). On zoo-small the discovery finds the "
                    + "succession heads but not the IOI ones (it picks the induction head L1H3); on zoo-base use ioi. Default: ${DEFAULT-VALUE}.")
    String circuitTask;

    @Option(names = "--no-circuits", description = "Skip circuit discovery (the node then samples no hook_z and the circuit detector stays idle).")
    boolean noCircuits;

    @Option(names = "--no-refit", description = "Skip the mid-run refit (no hot swap).")
    boolean noRefit;

    @Option(names = "--no-lens-trajectory", description = "Skip the lens-trajectory detector (the node then samples no extra residual hook).")
    boolean noLensTrajectory;

    @Option(names = "--lens-hook", description = "Early residual hook the node samples for the lens-trajectory detector, compared with the "
            + "final residual (blocks.(n-1).hook_resid_post, also sampled). Default: blocks.0.hook_resid_post.")
    String lensHook;

    @Option(names = "--tuned-lens", paramLabel = "DIR", description = "Tuned lens of the model (from `latentwatch lens train`). Default: "
            + "docs/reports/lens/<model>/tuned when its weights' hash matches the model, else one is trained before traffic (--lens-steps).")
    Path tunedLensDir;

    @Option(names = "--lens-steps", defaultValue = "300",
            description = "Training steps of the tuned lens when none fits the model. Default: ${DEFAULT-VALUE}.")
    int lensSteps;

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "Port of the monitor's Prometheus /metrics endpoint during the demo (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the traffic and the training. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = {"-q", "--quiet"}, description = "Do not print each alert or the status line; only the summary.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        DemoOptions o = new DemoOptions(duration, summaryJson, model, tokenizer, hook, positions, rate, injectShare, maxTokens,
                malformedRate, saeSteps, TrainingMethod.of(saeArchitecture), circuitTask, noCircuits, noRefit, noLensTrajectory, lensHook, tunedLensDir, lensSteps,
                metricsPort, seed, quiet);
        return new DemoRun(o, System.out).call();
    }
}
