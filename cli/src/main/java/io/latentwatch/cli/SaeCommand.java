package io.latentwatch.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code latentwatch sae}: SAE versions (publish a trained directory). */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = "SAE versions: announce a trained SAE directory to the monitors.",
        subcommands = {SaePublishCommand.class})
public final class SaeCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
