package io.latentwatch.cli.demo;

import io.latentwatch.interp.hooks.HookName;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.interp.lens.ResidualDataset;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.lens.TunedLensTrainer;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.node.CompletionRequest;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.node.ModelLocator;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.trainer.ActivationModel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's lens trajectory: which hooks it compares (an early residual read with the tuned lens vs the final one,
 * both sampled by the node), the tuned lens (the committed one when it was trained on these weights, else one trained
 * now: the trainer's job when no lens fits), and the known-good warm-up of its baseline.
 */
public final class DemoLens {
    /** Hooks compared and the hooks the node samples only for them (no SAE by design). */
    public record Hooks(String early, String fin, List<String> lensOnly) {}

    /** What the demo did for the lens trajectory, reported in the summary. */
    public record Setup(String earlyHook, String finalHook, List<String> hooksWithoutSae, String source, int warmupRequests,
                        int warmupPairs, int warmupTarget) {}

    /** The lens and where it came from. */
    public record Loaded(TunedLens lens, String source) {}

    private final DemoOptions o;
    private final PrintStream out;

    public DemoLens(DemoOptions o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    /** The hooks of the lens trajectory (null with --no-lens-trajectory); {@code saeHook} is sampled anyway. */
    public Hooks hooks(HookedTransformer m, String saeHook) {
        if (o.noLensTrajectory()) return null;
        String fin = LensTrajectoryScorer.finalHook(m.config());
        String early = o.lensHook() != null ? o.lensHook() : "blocks.0.hook_resid_post";
        int el = HookName.residualLayer(m.config(), early);
        if (el < 0 || el >= m.config().nLayers()) {
            throw new IllegalArgumentException("--lens-hook " + early + " is not a residual hook before the final one (" + fin + ")");
        }
        List<String> lensOnly = new ArrayList<>();
        for (String x : List.of(early, fin)) if (!x.equals(saeHook)) lensOnly.add(x);
        return new Hooks(early, fin, List.copyOf(lensOnly));
    }

    /** The committed tuned lens when it fits the weights (or --tuned-lens), else one trained now. */
    public Loaded load(HookedTransformer m, String modelId, InferenceNode node, ActivationModel am, PromptMix.Domain domain) throws IOException {
        long tl = System.nanoTime();
        Path dir = o.tunedLensDir() != null ? o.tunedLensDir() : ModelLocator.committedTunedLens(modelId);
        String hash = dir == null ? null : weightsHash(dir);
        TunedLens lens;
        String source;
        if (o.tunedLensDir() != null || (hash != null && hash.equals(m.versionHash()))) {
            lens = TunedLens.load(dir, m);
            source = dir + (m.versionHash().equals(hash) ? " (trained on these weights)" : " (WARNING: trained on weights " + hash + ")");
        } else {
            out.printf("  no tuned lens fits %s%s: training one (%d steps)...%n", modelId,
                    dir == null ? "" : " (" + dir + " is for weights " + hash + ")", o.lensSteps());
            lens = train(m, node, am, domain);
            source = String.format(Locale.ROOT, "trained in the demo (%d steps, %s positions, final loss %.3f)", o.lensSteps(),
                    lens.info().get("positions"), ((Number) lens.info().getOrDefault("loss_last", Double.NaN)).doubleValue());
        }
        out.printf(Locale.ROOT, "  tuned lens for %s in %.1f s: %s%n", modelId, (System.nanoTime() - tl) / 1e9, source);
        return new Loaded(lens, source);
    }

    /** The weights' version hash a tuned lens directory says it was trained on (null when unreadable). */
    static String weightsHash(Path dir) {
        try {
            return new ObjectMapper().readTree(dir.resolve(TunedLens.CONFIG).toFile()).path("model_version_hash").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A tuned lens trained on in-domain text and on the model's own sampled continuations of it (what the node's normal
     * traffic looks like), with a progress line.
     */
    private TunedLens train(HookedTransformer m, InferenceNode node, ActivationModel am, PromptMix.Domain domain) {
        PromptMix mix = new PromptMix(domain, o.seed() * 104729 + 3);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder t = new StringBuilder(mix.normal().text());
            for (int j = 1 + (i % 3); j > 0; j--) t.append(' ').append(mix.normal().text());
            prompts.add(m.toTokens(t.toString()));
        }
        for (int i = 0; i < 300; i++) prompts.add(m.toTokens(am.generate(mix.normal().text(), o.maxTokens(), 0.8f, o.seed() * 2000 + i)));
        int steps = o.lensSteps();
        node.modelLock().lock();
        try {
            ResidualDataset data = ResidualDataset.collect(m, prompts);
            int every = Math.max(1, steps / 5);
            long t0 = System.nanoTime();
            TunedLensTrainer.Result r = TunedLensTrainer.train(m, data, new TunedLensTrainer.Options(steps, 256, 3e-3f, o.seed()), step -> {
                if ((step + 1) % every == 0 || step + 1 == steps) {
                    out.printf(Locale.ROOT, "    tuned lens: step %d/%d (%.1f s)%n", step + 1, steps, (System.nanoTime() - t0) / 1e9);
                }
            });
            return r.lens();
        } finally {
            node.modelLock().unlock();
        }
    }

    /**
     * The lens-trajectory baseline is learned on known-good traffic, as an operator would warm it up: in-domain requests
     * through the node before the mixed traffic starts. Samples are keyed by request, so they spread over the
     * {@code partitions} of the hidden-states topic and each monitor task keeps its own baseline: the warm-up covers
     * every partition's share. Otherwise the injected anomalies of the first seconds would sit in a baseline.
     */
    public Setup warmup(InferenceNode node, PromptMix.Domain domain, int warmupPairs, int partitions, Hooks h, String source) {
        SamplingPolicy.Positions pp = SamplingPolicy.Positions.parse(o.positions());
        int perSample = switch (pp) { case LAST -> 1; case RANDOM_K -> 4; case ALL -> 8; };
        int requests = (int) Math.ceil(warmupPairs * 1.25 * partitions / perSample) + 2;
        PromptMix mix = new PromptMix(domain, o.seed() * 7 + 11);
        long t0 = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            node.complete(new CompletionRequest(null, List.of(mix.normal().text()), o.maxTokens(), 0.8f, 1f, 0,
                    o.seed() * 1_000_003L + i, List.of(), false), "lens-warmup-" + i, "lens-warmup");
        }
        out.printf(Locale.ROOT, "  lens trajectory: %s vs %s; baseline from %d known-good in-domain requests (~%d pairs over %d partitions "
                        + "for a warm-up of %d each) in %.1f s%n", h.early(), h.fin(), requests, requests * perSample, partitions, warmupPairs,
                (System.nanoTime() - t0) / 1e9);
        if (!h.lensOnly().isEmpty()) {
            out.printf("  %s sampled for the lens trajectory only: no SAE (counted apart from samples_without_sae)%n", h.lensOnly());
        }
        return new Setup(h.early(), h.fin(), h.lensOnly(), source, requests, requests * perSample, warmupPairs);
    }
}
