package io.latentwatch.cli.demo;

import java.nio.file.Path;
import java.time.Duration;

/** What {@code latentwatch demo} was asked to do: its flags, as one value (see DemoCommand for each one's meaning). */
public record DemoOptions(Duration duration, Path summaryJson, Path model, Path tokenizer, String hook, String positions, double rate,
                          double injectShare, int maxTokens, double malformedRate, int saeSteps, String circuitTask, boolean noCircuits,
                          boolean noRefit, boolean noLensTrajectory, String lensHook, Path tunedLensDir, int lensSteps, int metricsPort,
                          long seed, boolean quiet) {
    public DemoOptions {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
        if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
    }
}
