package io.latentwatch.cli;

import io.latentwatch.interp.circuits.CircuitDiscovery;
import io.latentwatch.interp.circuits.CircuitEvaluation;
import io.latentwatch.interp.circuits.CircuitPrompts;
import io.latentwatch.interp.circuits.GroundTruth;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.trainer.CircuitTrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code latentwatch train circuits}: SAE circuit identification (O'Neill & Bui 2024) from positive
 * and negative prompts of equal token length.
 */
@Command(name = "circuits", mixinStandardHelpOptions = true,
        description = {"Find the attention heads of a behaviour from a few positive and negative prompts (O'Neill & Bui 2024):",
                "one small SAE over every head's output z_h W_O[h], codes = argmax latent, heads scored by codes seen only on positives.",
                "Writes circuit.json, report.html (+ node-scores.png, roc.png), signature.avro.json, sae/ and head_projection.safetensors into --out."})
public final class TrainCircuitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer (tokenizer.bin or tokenizer.json) when not beside the model")
    Path tokenizer;

    @Option(names = "--positives", required = true, description = "Prompts showing the behaviour, one per line ('ids: 1 5 9' for raw token ids; a leading [BOS] is dropped)")
    Path positives;

    @Option(names = "--negatives", required = true, description = "Prompts of the same token length without the behaviour, one per line")
    Path negatives;

    @Option(names = "--ground-truth", description = "A zoo circuits.json: the task's heads are the ground truth for ROC-AUC, precision, recall and F1")
    Path groundTruth;

    @Option(names = "--task", description = "Task in --ground-truth (needed when the file holds several) and the circuit's name")
    String task;

    @Option(names = "--latents", defaultValue = "200", description = "Circuit SAE width (default: ${DEFAULT-VALUE}, as in the paper)")
    int latents;

    @Option(names = "--architecture", defaultValue = "relu", description = "relu (ReLU + L1, the paper) or topk (default: ${DEFAULT-VALUE})")
    String architecture;

    @Option(names = "--k", defaultValue = "8", description = "Active latents for --architecture topk (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--steps", defaultValue = "400", description = "SAE training steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--scoring", defaultValue = "share", description = "Node score ranking the heads: share (share of positive outputs with positive-only codes) or count (distinct positive-only codes) (default: ${DEFAULT-VALUE})")
    String scoring;

    @Option(names = "--max-examples", defaultValue = "20", description = "Use at most this many prompts of each file (default: ${DEFAULT-VALUE})")
    int maxExamples;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of SAE initialisation and sampling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, description = "Output directory")
    Path out;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        List<String> pos = cap(CircuitPrompts.read(positives));
        List<String> neg = cap(CircuitPrompts.read(negatives));
        GroundTruth gt = groundTruth == null ? null : GroundTruth.fromCircuitsJson(groundTruth, task);
        String name = task != null ? task : gt != null ? gt.task() : stem(positives);
        String arch = switch (architecture.toLowerCase(Locale.ROOT)) {
            case "relu", "standard" -> SaeConfig.STANDARD;
            case "topk" -> SaeConfig.TOPK;
            default -> throw new IllegalArgumentException("--architecture must be relu or topk, got " + architecture);
        };
        CircuitDiscovery.NodeScoring sc = switch (scoring.toLowerCase(Locale.ROOT)) {
            case "share" -> CircuitDiscovery.NodeScoring.SHARE;
            case "count" -> CircuitDiscovery.NodeScoring.COUNT;
            default -> throw new IllegalArgumentException("--scoring must be share or count, got " + scoring);
        };
        CircuitDiscovery.Options opt = CircuitDiscovery.Options.defaults().withLatents(latents).withArchitecture(arch, k)
                .withSteps(steps).withSeed(seed).withScoring(sc);
        try (HookedTransformer m = HookedTransformer.load(model, tokenizer)) {
            CircuitTrainJob.Outcome o = CircuitTrainJob.run(m, name, pos, neg, gt, opt, out);
            CircuitDiscovery.Result r = o.result();
            System.out.printf(Locale.ROOT, "circuit '%s' on %s: %d+%d prompts x %d tokens, %d heads, %.2f s%n", name, m.modelId(),
                    r.positives(), r.negatives(), r.positions(), r.layers() * r.heads(), r.secondsTotal());
            System.out.println("top heads: " + r.nodes().stream().limit(5).map(n -> String.format(Locale.ROOT, "%s %.3g", n.head(), r.nodeScore(n))).toList());
            System.out.println("signature: " + r.signature().heads().stream().map(h -> h.head().toString()).toList()
                    + ", match at >= " + r.signature().minMatchedHeads() + " heads");
            CircuitEvaluation ev = o.evaluation();
            if (ev != null) {
                System.out.printf(Locale.ROOT, "node ROC-AUC %.3f (paper, GPT-2 small: 0.87 IOI), edge ROC-AUC %s, best F1 %.2f (P %.2f R %.2f); baselines: random %.2f, output norm %.3f%n",
                        ev.nodeAuc(), Double.isNaN(ev.edgeAuc()) ? "n/a" : String.format(Locale.ROOT, "%.3f", ev.edgeAuc()),
                        ev.nodeBest().f1(), ev.nodeBest().precision(), ev.nodeBest().recall(), ev.randomAuc(), ev.normAuc());
            }
            System.out.println("wrote " + o.circuitJson().toAbsolutePath() + " and " + o.html().toAbsolutePath());
            return 0;
        }
    }


    private List<String> cap(List<String> l) {
        if (maxExamples < 1) throw new IllegalArgumentException("--max-examples must be >= 1");
        return l.size() > maxExamples ? l.subList(0, maxExamples) : l;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
