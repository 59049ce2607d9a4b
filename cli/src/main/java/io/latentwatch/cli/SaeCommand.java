package io.latentwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code latentwatch sae ...}: look at, use and announce SAE files directly, outside the monitor. */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = {"Read SAEs as people have them: SAELens directories, Gemma Scope params.npz, Llama Scope, EleutherAI sparsify.",
                "inspect explains one; encode runs one on your own activations, so latents can be checked against any implementation; "
                        + "publish announces a trained directory (from `train sae` or SAELens) to the monitors as an SaeVersion."},
        subcommands = {SaeInspectCommand.class, SaeEncodeCommand.class, SaePublishCommand.class})
public final class SaeCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
