package io.latentwatch.cli;

import io.latentwatch.interp.lens.LayerScore;
import io.latentwatch.interp.lens.LensEvaluation;
import io.latentwatch.interp.lens.LensReport;
import io.latentwatch.interp.lens.ResidualDataset;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.lens.TunedLensTrainer;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.model.HookedTransformer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch lens train|eval}: tuned-lens training and the per-layer decoder report. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = "Decode hidden states layer by layer: train a tuned lens, evaluate logit lens / tuned lens / token-identity Patchscope.",
        subcommands = {LensCommand.Train.class, LensCommand.Eval.class})
public class LensCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a tuned lens (one affine translator per layer, KL to the model's final distribution) and save it as safetensors + config.json.")
    static class Train implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or Hugging Face directory.") Path model;
        @Option(names = "--tokenizer", description = "Tokenizer (tokenizer.bin or tokenizer.json); default: beside the model.") Path tokenizer;
        @Option(names = "--prompts", required = true, description = "Training text, one prompt per line.") Path prompts;
        @Option(names = "--out", required = true, description = "Output directory for tuned_lens.safetensors and config.json.") Path out;
        @Option(names = "--steps", defaultValue = "600", description = "Adam steps (default: ${DEFAULT-VALUE}).") int steps;
        @Option(names = "--batch-size", defaultValue = "256", description = "Positions per step (default: ${DEFAULT-VALUE}).") int batch;
        @Option(names = "--lr", defaultValue = "0.003", description = "Adam learning rate (default: ${DEFAULT-VALUE}).") float lr;
        @Option(names = "--seed", defaultValue = "42", description = "Minibatch seed (default: ${DEFAULT-VALUE}).") long seed;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (HookedTransformer m = LensCliSupport.load(model, tokenizer)) {
                List<int[]> toks = LensCliSupport.prompts(prompts).stream().map(m::toTokens).toList();
                ResidualDataset data = ResidualDataset.collect(m, toks);
                TunedLensTrainer.Result r;
                try (ProgressBar pb = new ProgressBarBuilder().setTaskName("tuned lens").setInitialMax(steps)
                        .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                    r = TunedLensTrainer.train(m, data, new TunedLensTrainer.Options(steps, batch, lr, seed), s -> pb.step());
                }
                Map<String, Object> info = new LinkedHashMap<>(r.lens().info());
                info.put("prompts_file", prompts.toString());
                TunedLens lens = new TunedLens(m, r.lens().translators(), info);
                lens.save(out);
                double[] kl = TunedLensTrainer.meanKl(lens, data), base = TunedLensTrainer.meanKl(TunedLens.identity(m), data);
                var w = spec.commandLine().getOut();
                w.printf(Locale.ROOT, "tuned lens for %s: %d positions, %d steps in %.1f s -> %s%n", m.modelId(), data.size(), steps, r.seconds(), out);
                for (int l = 0; l < kl.length; l++) w.printf(Locale.ROOT, "  layer %d  KL logit lens %.4f  tuned lens %.4f%n", l, base[l], kl[l]);
                w.flush();
                return 0;
            }
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Per-layer Precision@1 and surprisal of the logit lens, the tuned lens (with --tuned) and the token-identity Patchscope on held-out text; writes report.json, report.html and PNG curves.")
    static class Eval implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or Hugging Face directory.") Path model;
        @Option(names = "--tokenizer", description = "Tokenizer; default: beside the model.") Path tokenizer;
        @Option(names = "--prompts", required = true, description = "Held-out text, one prompt per line.") Path prompts;
        @Option(names = "--tuned", description = "Tuned-lens directory from 'lens train' (tuned_lens omitted without it).") Path tuned;
        @Option(names = "--out", required = true, description = "Report directory.") Path out;
        @Option(names = "--no-token-identity", description = "Skip the token-identity Patchscope.") boolean noTokenIdentity;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (HookedTransformer m = LensCliSupport.load(model, tokenizer)) {
                List<String> lines = LensCliSupport.prompts(prompts);
                ResidualDataset data = ResidualDataset.collect(m, lines.stream().map(m::toTokens).toList());
                TunedLens lens = tuned == null ? null : TunedLens.load(tuned, m);
                Map<String, List<LayerScore>> r;
                try (ProgressBar pb = new ProgressBarBuilder().setTaskName("layers").setInitialMax(m.config().nLayers() + 1)
                        .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
                    r = LensEvaluation.evaluate(m, data, lens, !noTokenIdentity, l -> pb.step());
                }
                Map<String, Object> meta = new LinkedHashMap<>();
                meta.put("model", m.modelId());
                meta.put("model_version_hash", m.versionHash());
                meta.put("prompts_file", prompts.getFileName().toString());
                meta.put("prompts", lines.size());
                meta.put("positions", data.size());
                meta.put("tuned_lens", tuned == null ? "none" : tuned.getFileName().toString());
                if (!noTokenIdentity) meta.put("token_identity_prompt", TokenIdentityPrompt.text(m));
                LensReport.write(out, r, meta);
                var w = spec.commandLine().getOut();
                w.printf("%s: %d positions -> %s%n", m.modelId(), data.size(), out.resolve("report.html"));
                r.forEach((k, v) -> {
                    w.printf("  %-15s", k);
                    for (LayerScore s : v) w.printf(Locale.ROOT, " L%d %.2f/%.2f", s.layer(), s.precisionAt1(), s.surprisal());
                    w.println("   (Precision@1/surprisal)");
                });
                w.flush();
                return 0;
            }
        }
    }
}
