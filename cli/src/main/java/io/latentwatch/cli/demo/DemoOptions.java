package io.latentwatch.cli.demo;

import io.latentwatch.interp.sae.TrainingMethod;

import java.nio.file.Path;
import java.time.Duration;

/** What {@code latentwatch demo} was asked to do: its flags, as one value (see DemoCommand for each one's meaning). */
public record DemoOptions(Duration duration, Path summaryJson, Path model, Path tokenizer, String hook, String positions, double rate,
                          double injectShare, int maxTokens, double malformedRate, int saeSteps, TrainingMethod saeMethod, String circuitTask, boolean noCircuits,
                          boolean noRefit, boolean noLensTrajectory, String lensHook, Path tunedLensDir, int lensSteps, int metricsPort,
                          long seed, boolean quiet) {
    public DemoOptions {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
        if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
        if (saeMethod == TrainingMethod.RELU) {
            throw new IllegalArgumentException("--sae-architecture relu is not offered by the demo (its L1 needs tuning per model): "
                    + "use topk, batchtopk or jumprelu, or `latentwatch train sae --architecture relu`");
        }
    }
}
