package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.TrainingMethod;
import picocli.CommandLine.Option;

/** SAE and optimiser options shared by {@code train sae} and {@code train schedule}. */
public final class SaeTrainingMixin {
    @Option(names = "--hook", required = true, description = "TransformerLens hook to train on, e.g. blocks.2.hook_resid_post")
    String hook;

    @Option(names = "--d-sae", defaultValue = "512", description = "Number of latents (default: ${DEFAULT-VALUE})")
    int dSae;

    @Option(names = "--architecture", defaultValue = "topk",
            description = {"topk (k largest per token), batchtopk (k per token on average, chosen over the batch; saved as jumprelu",
                    "with the learned threshold, as SAELens does), jumprelu (per-latent thresholds, straight-through estimator)",
                    "or relu (L1) (default: ${DEFAULT-VALUE})"})
    String architecture;

    @Option(names = "--k", defaultValue = "16", description = "Active latents per token for topk and batchtopk (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--l1", defaultValue = "5", description = "L1 coefficient for relu, on inputs normalised to E||x||=sqrt(d_in) (default: ${DEFAULT-VALUE})")
    float l1;

    @Option(names = "--l0", defaultValue = "0.05", description = "L0 coefficient for jumprelu, on the same normalised inputs (default: ${DEFAULT-VALUE})")
    float l0;

    @Option(names = "--steps", defaultValue = "600", description = "Optimisation steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--batch-size", defaultValue = "256", description = "Tokens per step (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "0.003", description = "Peak Adam learning rate (default: ${DEFAULT-VALUE})")
    float lr;

    @Option(names = "--dead-tokens", defaultValue = "50000", description = "A latent silent for this many tokens is dead (default: ${DEFAULT-VALUE})")
    long deadTokens;

    @Option(names = "--validation-share", defaultValue = "0.1", description = "Share of prompts held out for validation (default: ${DEFAULT-VALUE})")
    double validationShare;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--no-progress", description = "Do not draw a progress bar")
    boolean noProgress;

    /** The training method; BatchTopK trains with a topk config (its k) and saves a JumpReLU SAE. */
    TrainingMethod method() {
        try {
            return TrainingMethod.of(architecture);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--architecture: " + e.getMessage());
        }
    }

    SaeConfig config(int dIn, String modelName) {
        return switch (method()) {
            case TOPK, BATCH_TOPK -> SaeConfig.topk(dIn, dSae, k, hook, modelName);
            case RELU -> SaeConfig.relu(dIn, dSae, hook, modelName);
            case JUMPRELU -> SaeConfig.jumpRelu(dIn, dSae, hook, modelName);
        };
    }

    SaeTrainingOptions options() {
        TrainingMethod m = method();
        return SaeTrainingOptions.defaults().withSteps(steps).withBatchSize(batchSize).withLr(lr).withL1(m == TrainingMethod.JUMPRELU ? l0 : l1)
                .withDeadTokens(deadTokens).withSeed(seed).withResampleEvery(m == TrainingMethod.RELU ? Math.max(1, steps / 8) : 0)
                .withEvalEvery(Math.max(1, steps / 30)).withProgressBar(!noProgress);
    }
}
