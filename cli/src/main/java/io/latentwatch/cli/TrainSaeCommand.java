package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.trainer.ActivationModel;
import io.latentwatch.trainer.ActivationModelProvider;
import io.latentwatch.trainer.HeldOutPrompts;
import io.latentwatch.trainer.PromptActivationSource;
import io.latentwatch.trainer.SaeTrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code latentwatch train sae}: runs the prompts through the model, trains an SAE at the hook and
 * writes a SAELens directory plus latentwatch's baseline, labels, metrics and an HTML report.
 */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = {"Train a sparse autoencoder on a model's activations at one hook.",
                "Writes cfg.json + sae_weights.safetensors (SAELens format), sparsity.safetensors, latentwatch_baseline.json,",
                "latentwatch_labels.json, latentwatch_metrics.json and report/report.html into --out."})
public final class TrainSaeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer (tokenizer.bin or tokenizer.json) when not beside the model")
    Path tokenizer;

    @Option(names = "--prompts", required = true, description = "Text file, one prompt per line (blank lines skipped)")
    Path prompts;

    @Option(names = "--out", required = true, description = "Output directory")
    Path out;

    @Option(names = "--ce-prompts", defaultValue = "64", description = "Held-out prompts used to measure the CE increase (0 = skip; default: ${DEFAULT-VALUE})")
    int cePrompts;

    @Mixin
    SaeTrainingMixin sae = new SaeTrainingMixin();

    private final ActivationModelProvider provider;

    public TrainSaeCommand() {
        this(null);
    }

    /** @param provider the model runtime; null = discovered on the class path */
    public TrainSaeCommand(ActivationModelProvider provider) {
        this.provider = provider;
    }

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        if (!Files.isRegularFile(prompts)) throw new IllegalArgumentException("--prompts " + prompts + ": file not found");
        ActivationModelProvider p = provider != null ? provider : ActivationModelProvider.discover();
        try (ActivationModel m = p.open(model, tokenizer)) {
            SaeConfig cfg = sae.config(m.dModel(), m.modelId());
            SaeTrainJob job = SaeTrainJob.of(cfg, sae.options(), () -> {
                try {
                    return PromptActivationSource.fromFile(m, cfg.hookName(), prompts);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).withMethod(sae.method()).withValidation(sae.validationShare, 32_768).withDecoderLogits(m.decoderLogits());
            List<String> held = HeldOutPrompts.of(prompts, sae.seed, sae.validationShare, cePrompts);
            if (!held.isEmpty()) {
                job = job.withCeEvaluator(s -> m.crossEntropy(held, cfg.hookName(), s) - m.crossEntropy(held, cfg.hookName(), null));
            }
            SaeTrainJob.Outcome o = job.run(out);
            System.out.printf("SAE %s %s d_sae=%d: FVU %.4f, L0 %.2f, dead %.1f%%%s, %d tokens in %.1f s -> %s%n",
                    o.training().sae().config().architecture(), cfg.hookName(), cfg.dSae(), o.metrics().get("fvu"), o.metrics().get("l0"),
                    100 * o.metrics().get("dead_fraction"),
                    o.metrics().containsKey("ce_increase") ? String.format(", CE +%.4f nats", o.metrics().get("ce_increase")) : "",
                    o.training().tokens(), o.training().seconds(), out.toAbsolutePath());
            return 0;
        }
    }
}
