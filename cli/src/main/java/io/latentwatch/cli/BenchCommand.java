package io.latentwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code latentwatch bench}: benchmarks, each printed next to this machine's float32 matmul
 * GFLOP/s measured in the same run ({@link io.latentwatch.cli.bench.MatmulCeiling}). Other
 * benchmarks register here as subcommands.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks of latentwatch's parts, each reported next to this machine's float32 matmul GFLOP/s "
                + "measured in the same run. Add --json for machine-readable output.",
                "Subcommands: monitor (samples/s and latency of the streaming SAE projection), node (sampling overhead "
                        + "on generation), sae-train (SAE training tokens/s)."},
        subcommands = {BenchMonitorCommand.class, BenchNodeCommand.class, BenchSaeTrainCommand.class, CommandLine.HelpCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
