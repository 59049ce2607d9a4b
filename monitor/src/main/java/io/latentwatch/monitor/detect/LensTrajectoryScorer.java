package io.latentwatch.monitor.detect;

import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The model side of the lens-trajectory detector (no Kafka): the final logit-lens logits and an early layer's
 * tuned-lens logits for one position, from the models and tuned lenses the monitor was given. A model with no
 * tuned lens falls back to {@link TunedLens#identity} (the logit lens); a model that is not loaded at all is
 * skipped and counted ({@link #skipped()}).
 */
public final class LensTrajectoryScorer {
    private final Map<String, HookedTransformer> models;
    private final Map<String, TunedLens> lenses;
    private final AtomicLong skipped = new AtomicLong();

    public LensTrajectoryScorer(Map<String, HookedTransformer> models, Map<String, TunedLens> lenses) {
        this.models = Map.copyOf(models);
        Map<String, TunedLens> l = new HashMap<>(lenses);
        for (var e : this.models.entrySet()) l.putIfAbsent(e.getKey(), TunedLens.identity(e.getValue()));
        this.lenses = Map.copyOf(l);
    }

    /** Loads a tuned lens for each model that has a directory in {@code dirs} (model id -> directory). */
    public static Map<String, TunedLens> loadLenses(Map<String, HookedTransformer> models, Map<String, Path> dirs) throws IOException {
        Map<String, TunedLens> out = new HashMap<>();
        for (var e : dirs.entrySet()) {
            HookedTransformer m = models.get(e.getKey());
            if (m == null) throw new IllegalArgumentException("tuned lens configured for model '" + e.getKey() + "', which is not loaded (loaded: " + models.keySet() + ")");
            out.put(e.getKey(), TunedLens.load(e.getValue(), m));
        }
        return out;
    }

    public HookedTransformer model(String modelId) { return models.get(modelId); }

    public TunedLens lens(String modelId) { return lenses.get(modelId); }

    /** Counts a sample skipped because its model is not loaded. */
    public void skip() { skipped.incrementAndGet(); }

    public long skipped() { return skipped.get(); }

    /** Name of the final residual hook of {@code m}: {@code blocks.(n_layers-1).hook_resid_post}. */
    public static String finalHook(ModelConfig c) { return "blocks." + (c.nLayers() - 1) + ".hook_resid_post"; }

    /** Logit-lens logits of the final residual vector (= the model's own output logits). */
    public static float[] finalLogits(HookedTransformer m, float[] h) {
        return new LogitLens(m).logits(new Tensor(h, 1, h.length)).data();
    }

    /** Tuned-lens logits of {@code h} read at residual layer {@code layer}. */
    public static float[] earlyLogits(TunedLens lens, int layer, float[] h) {
        return lens.logits(layer, new Tensor(h, 1, h.length)).data();
    }

    /** KL(final || tuned lens of the early layer) for one position of model {@code modelId}. */
    public double score(String modelId, int layer, float[] early, float[] fin) {
        HookedTransformer m = models.get(modelId);
        if (m == null) throw new IllegalArgumentException("lens trajectory: model '" + modelId + "' is not loaded");
        return LensTrajectoryDetector.divergence(finalLogits(m, fin), earlyLogits(lenses.get(modelId), layer, early));
    }
}
