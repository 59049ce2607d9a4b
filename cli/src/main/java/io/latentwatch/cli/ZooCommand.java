package io.latentwatch.cli;

import ai.djl.ndarray.NDManager;
import io.latentwatch.interp.zoo.ZooBehaviour;
import io.latentwatch.interp.zoo.ZooCircuits;
import io.latentwatch.interp.zoo.ZooConfig;
import io.latentwatch.interp.zoo.ZooLlama;
import io.latentwatch.interp.zoo.ZooTrainer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code latentwatch zoo ...}: train and inspect the project's own small Llama models with planted circuits. */
@Command(name = "zoo", mixinStandardHelpOptions = true,
        description = "The model zoo: small Llama-architecture models trained on a synthetic corpus with planted "
                + "mechanisms (induction, succession, indirect object, two-hop facts, greater-than).",
        subcommands = {ZooCommand.Train.class, ZooCommand.Eval.class, ZooCommand.Circuits.class})
public final class ZooCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a zoo model with the reproducible recipe and write a Hugging Face Llama directory "
                    + "(config.json, model.safetensors, tokenizer.json, training-config.json, loss-curve.png).")
    static final class Train implements Callable<Integer> {
        @Option(names = "--size", required = true, description = "Model size: small (d 64, 2 layers, 4 heads) or base (d 128, 4 layers, 4 heads).")
        String size;
        @Option(names = "--out", required = true, description = "Output directory for the checkpoint.")
        Path out;
        @Option(names = "--steps", description = "Training steps (default: the recipe's: 2000 for small, 1000 for base).")
        Integer steps;
        @Option(names = "--seed", description = "Seed for weights (seed) and data (seed + 1); default: the recipe's.")
        Long seed;
        @Option(names = "--lr", description = "Peak learning rate (default: the recipe's, 2e-3 small, 1.5e-3 base).")
        Double lr;
        @Option(names = "--init", description = "Continue from this zoo checkpoint's weights (fresh optimizer state) instead of a fresh init.")
        Path init;
        @Option(names = "--circuits", description = "Also measure the ground-truth circuits and write circuits.json.")
        boolean circuits;

        @Override public Integer call() throws Exception {
            System.setProperty("ai.djl.offline", "true");
            ZooTrainer.Recipe r = ZooTrainer.Recipe.defaults(size);
            if (steps != null) r = r.withSteps(steps);
            if (seed != null) r = r.withSeed(seed);
            if (lr != null) r = r.withLr(lr);
            ZooConfig config = ZooConfig.forSize(size);
            try (NDManager m = NDManager.newBaseManager();
                 ProgressBar pb = new ProgressBarBuilder().setTaskName("zoo-" + size).setInitialMax(r.steps()).build()) {
                ZooTrainer.Result res = ZooTrainer.train(config, r, m, (s, loss) -> {
                    pb.step();
                    pb.setExtraMessage(String.format("loss %.3f", loss));
                }, 16, init);
                pb.close();
                ZooTrainer.save(res, r, out);
                System.out.printf("zoo-%s: %d parameters, held-out loss %.4f, %.1f s -> %s%n", size,
                        res.model().parameterCount(), res.heldOutLoss(), res.seconds(), out);
                if (circuits) ZooCircuits.write(res.model(), out.getFileName().toString(), out.resolve("circuits.json"));
                res.model().close();
            }
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Measure the planted behaviours of a zoo checkpoint on held-out prompts.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Zoo checkpoint directory (config.json + model.safetensors).")
        Path model;

        @Override public Integer call() throws Exception {
            System.setProperty("ai.djl.offline", "true");
            try (NDManager nm = NDManager.newBaseManager(); ZooLlama m = ZooLlama.load(model, nm)) {
                for (Map.Entry<String, Double> e : ZooBehaviour.measure(m).entrySet())
                    System.out.printf("%-34s %.4f%n", e.getKey(), e.getValue());
            }
            return 0;
        }
    }

    @Command(name = "circuits", mixinStandardHelpOptions = true,
            description = "Find the heads of each planted mechanism by per-head mean ablation and write circuits.json.")
    static final class Circuits implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Zoo checkpoint directory.")
        Path model;
        @Option(names = "--out", description = "Output file (default: MODEL/circuits.json).")
        Path out;

        @Override public Integer call() throws Exception {
            System.setProperty("ai.djl.offline", "true");
            try (NDManager nm = NDManager.newBaseManager(); ZooLlama m = ZooLlama.load(model, nm)) {
                Path o = out != null ? out : model.resolve("circuits.json");
                ZooCircuits.write(m, model.toAbsolutePath().normalize().getFileName().toString(), o);
                System.out.println("wrote " + o);
            }
            return 0;
        }
    }
}
