package io.latentwatch.monitor.explain;

import io.latentwatch.interp.lens.DecodedToken;
import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.lens.patchscope.Patchscope;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Lock;

/**
 * Reads a flagged representation with the model itself (Ghandeharioun et al. 2024, arXiv 2401.06102),
 * the representation coming from a {@link RepresentationSource}:
 * <ul>
 *   <li><b>logit lens</b> — softmax(W_U · norm(h)) through the model's final norm and unembedding
 *       ({@link LogitLens}; nostalgebraist 2020);</li>
 *   <li><b>tuned lens</b> (Belrose et al. 2023, arXiv 2303.08112) — when one is given for the model, h
 *       through the translator of its residual layer ({@code blocks.l.hook_resid_pre} is layer l,
 *       {@code blocks.l.hook_resid_post} layer l+1, see {@link io.latentwatch.interp.lens.ResidualLayers});</li>
 *   <li><b>token-identity Patchscope</b> — h patched into the same hook at the "?" of the few-shot
 *       identity prompt ({@code "cat->cat; 1135->1135; hello->hello; ?"}, adapted to the tokenizer by
 *       {@link TokenIdentityPrompt}) and decoded greedily with the KV cache ({@link Patchscope#decodeAt}):
 *       the model is asked to repeat what h stands for.</li>
 * </ul>
 * <b>Per-head outputs</b> ({@code blocks.l.attn.hook_result}, z_h W_O[h], in residual space) get the logit
 * lens only — which tokens the head writes towards. A head's output is not a residual-stream state, so
 * patching it into a prompt would not be a Patchscope of anything the model computes. What could not be
 * read is said in {@link Reading#notRead()}.
 */
public final class ModelRepresentationReader implements RepresentationReader {
    private final RepresentationSource source;
    private final Map<String, TunedLens> tunedLenses;
    private final int topTokens;
    private final int decodeTokens;

    /**
     * @param tunedLenses tuned lenses by model id (a model without one gets no tuned-lens tokens)
     */
    public ModelRepresentationReader(RepresentationSource source, Map<String, TunedLens> tunedLenses, int topTokens, int decodeTokens) {
        this.source = source;
        this.tunedLenses = Map.copyOf(tunedLenses);
        this.topTokens = topTokens;
        this.decodeTokens = decodeTokens;
    }

    /** Reading the SAE reconstruction of each alert ({@link SaeReconstruction}) with {@code models}. */
    public ModelRepresentationReader(Map<String, HookedTransformer> models, SaeRegistry registry, int topTokens, int decodeTokens) {
        this(models, Map.of(), registry, topTokens, decodeTokens);
    }

    /** As above, with tuned lenses by model id. */
    public ModelRepresentationReader(Map<String, HookedTransformer> models, Map<String, TunedLens> tunedLenses, SaeRegistry registry,
                                     int topTokens, int decodeTokens) {
        this(new SaeReconstruction(models, registry), checked(models, tunedLenses), topTokens, decodeTokens);
    }

    private static Map<String, TunedLens> checked(Map<String, HookedTransformer> models, Map<String, TunedLens> tunedLenses) {
        for (var e : tunedLenses.entrySet()) {
            HookedTransformer m = models.get(e.getKey());
            if (m == null || e.getValue().model() != m) {
                throw new IllegalArgumentException("tuned lens for '" + e.getKey() + "' does not belong to a loaded model (loaded: " + models.keySet() + ")");
            }
        }
        return tunedLenses;
    }

    /** A reader whose tuned lenses are loaded from {@code monitor.tuned-lens.dir.<modelId>} directories. */
    public static ModelRepresentationReader withTunedLenses(Map<String, HookedTransformer> models, Map<String, Path> tunedLensDirs,
                                                            SaeRegistry registry, int topTokens, int decodeTokens) throws IOException {
        return new ModelRepresentationReader(models, LensTrajectoryScorer.loadLenses(models, tunedLensDirs), registry, topTokens, decodeTokens);
    }

    @Override
    public Reading read(Alert alert) {
        boolean perHead = isHeadOutput(alert.getHook());
        if (!(perHead || isResidual(alert.getHook()))) {
            return Reading.none(alert.getHook() + " is neither a residual-stream state nor a per-head output");
        }
        RepresentationSource.Found f = source.find(alert);
        if (!f.present()) return Reading.none(f.missing());
        Lock lock = f.lock();
        if (lock != null) lock.lock();
        try {
            if (perHead) {
                return new Reading(tokens(new LogitLens(f.model()).topK(f.vector(), topTokens)), List.of(), null, Reading.NOT_APPLICABLE,
                        List.of("tuned lens and Patchscope: a per-head output is not a residual-stream state"));
            }
            return read(f.model(), f.hook(), f.vector());
        } finally {
            if (lock != null) lock.unlock();
        }
    }

    /** Logit lens, tuned lens (when configured for the model) and token-identity Patchscope of {@code h} at residual {@code hook}. */
    public Reading read(HookedTransformer m, String hook, float[] h) {
        List<TokenProbability> logitLens = tokens(new LogitLens(m).topK(h, topTokens));
        List<TokenProbability> tuned = tunedLensTokens(m, hook, h);
        int[] prompt = TokenIdentityPrompt.tokens(m);
        String text = Patchscope.decodeAt(m, prompt, hook, prompt.length - 1, h, decodeTokens);
        return new Reading(logitLens, tuned, text,
                tuned.isEmpty() ? List.of("tuned lens: none configured for " + m.modelId() + " at " + hook) : List.of());
    }

    /** As {@link #read(HookedTransformer, String, float[])} at {@code blocks.layer.hook_resid_post}. */
    public Reading read(HookedTransformer m, int layer, float[] h) {
        return read(m, "blocks." + layer + ".hook_resid_post", h);
    }

    /** Top tokens (with probabilities) of the tuned lens of {@code m} reading {@code h} at {@code hook}; empty without a lens. */
    public List<TokenProbability> tunedLensTokens(HookedTransformer m, String hook, float[] h) {
        TunedLens lens = tunedLenses.get(m.modelId());
        if (lens == null || lens.model() != m) lens = tunedLenses.values().stream().filter(l -> l.model() == m).findFirst().orElse(null);
        int layer = HookName.residualLayer(m.config(), hook);
        if (lens == null || layer < 0) return List.of();
        return tokens(lens.topK(layer, h, topTokens));
    }

    static boolean isResidual(String hook) {
        return HookName.parse(hook).map(HookName::isResidual).orElse(false);
    }

    /** {@code blocks.l.attn.hook_result}: one head's output z_h W_O[h] per row, in residual space. */
    static boolean isHeadOutput(String hook) {
        return HookName.parse(hook).map(h -> h.is("attn.hook_result")).orElse(false);
    }

    /** Lens tokens as the Avro record the explanation carries. */
    static List<TokenProbability> tokens(List<DecodedToken> decoded) {
        List<TokenProbability> out = new ArrayList<>(decoded.size());
        for (DecodedToken t : decoded) out.add(new TokenProbability(t.token(), t.id(), (double) t.probability()));
        return out;
    }
}
