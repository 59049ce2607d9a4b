package io.latentwatch.cli;

import picocli.CommandLine.Command;

/** {@code latentwatch train}: offline training (SAEs now; circuits and lenses later). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train SAEs on model activations, once or on a schedule.",
        subcommands = {TrainSaeCommand.class, TrainScheduleCommand.class})
public final class TrainCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
