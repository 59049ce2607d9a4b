package io.latentwatch.monitor.explain;

import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.lens.DecodedToken;
import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.monitor.validate.HookName;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Reads a residual-stream representation with the model itself, through activation patching with
 * the runtime's hooks (Ghandeharioun et al. 2024, arXiv 2401.06102):
 * <ul>
 *   <li><b>logit lens</b> — softmax(W_U · norm(h)) through the model's final norm and unembedding
 *       ({@link LogitLens}; nostalgebraist 2020);</li>
 *   <li><b>token-identity Patchscope</b> — patch h into the same layer at the "?" of the few-shot
 *       identity prompt ({@code "cat->cat; 1135->1135; hello->hello; ?"}, adapted to the tokenizer by
 *       {@link TokenIdentityPrompt}: a word-level vocabulary has no "->") and decode greedily a few tokens:
 *       the model is asked to repeat what h stands for.</li>
 * </ul>
 * The representation read for an alert is the SAE's reconstruction from the alert's top latents
 * (b_dec + Σ a_i·W_dec[i]): the raw hidden state is not kept on the alerts topic (hidden states can be
 * inverted to prompts).
 *
 * <p><b>Per-head outputs</b> ({@code blocks.l.attn.hook_result}, z_h W_O[h], in residual space): only the
 * logit lens is read — which tokens the head writes towards (direct logit attribution through the final
 * norm). A head's output is not a residual-stream state, so patching it into a prompt as one would not be
 * a Patchscope of anything the model computes; those explanations carry no decoded text.
 *
 * <p><b>Tuned lens</b> (Belrose et al. 2023, arXiv 2303.08112): when a {@link TunedLens} is given for the
 * alert's model, the representation is also read through the translator of its residual layer
 * ({@code blocks.l.hook_resid_pre} is layer l, {@code blocks.l.hook_resid_post} is layer l+1, see
 * {@link io.latentwatch.interp.lens.ResidualLayers}) and the top tokens go to {@code Explanation.tunedLensTokens}.
 * Configured with {@code monitor.tuned-lens.dir.<modelId>} (see {@link #withTunedLenses}).
 */
public final class ModelRepresentationReader implements RepresentationReader {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ModelRepresentationReader.class);
    private final Map<String, HookedTransformer> models;
    private final Map<String, TunedLens> tunedLenses;
    private final SaeRegistry registry;
    private final int topTokens;
    private final int decodeTokens;

    public ModelRepresentationReader(Map<String, HookedTransformer> models, SaeRegistry registry, int topTokens, int decodeTokens) {
        this(models, Map.of(), registry, topTokens, decodeTokens);
    }

    /** With tuned lenses by model id (a model without one gets no tuned-lens tokens). */
    public ModelRepresentationReader(Map<String, HookedTransformer> models, Map<String, TunedLens> tunedLenses, SaeRegistry registry,
                                     int topTokens, int decodeTokens) {
        for (var e : tunedLenses.entrySet()) {
            HookedTransformer m = models.get(e.getKey());
            if (m == null || e.getValue().model() != m) {
                throw new IllegalArgumentException("tuned lens for '" + e.getKey() + "' does not belong to a loaded model (loaded: " + models.keySet() + ")");
            }
        }
        this.tunedLenses = Map.copyOf(tunedLenses);
        this.models = Map.copyOf(models);
        this.registry = registry;
        this.topTokens = topTokens;
        this.decodeTokens = decodeTokens;
    }

    @Override
    public Reading read(Alert alert) {
        HookedTransformer m = models.get(alert.getModelId());
        String tl = alert.getAttributes().get("top_latents");
        boolean perHead = isHeadOutput(alert.getHook());
        if (m == null) return Reading.none("no weights of model " + alert.getModelId() + " are loaded in this monitor (loaded: " + models.keySet() + ")");
        if (tl == null || tl.isEmpty() || alert.getSaeVersion() == null) {
            return Reading.none("the " + alert.getDetector() + " alert carries no SAE latents to rebuild the representation from");
        }
        if (!(isResidual(alert.getHook()) || perHead)) {
            return Reading.none(alert.getHook() + " is neither a residual-stream state nor a per-head output");
        }
        float[] x = reconstruct(alert, tl);
        if (x == null || x.length != m.config().dModel()) {
            return Reading.none(x == null ? "SAE version " + alert.getSaeVersion() + " is no longer held by this monitor"
                    : "the SAE's width " + x.length + " is not the model's d_model " + m.config().dModel());
        }
        if (perHead) return new Reading(tokens(new LogitLens(m).topK(x, topTokens)), List.of(), null,
                List.of("tuned lens and Patchscope: a per-head output is not a residual-stream state"));
        return read(m, alert.getHook(), x);
    }

    /** A reader whose tuned lenses are loaded from {@code monitor.tuned-lens.dir.<modelId>} directories. */
    public static ModelRepresentationReader withTunedLenses(Map<String, HookedTransformer> models, Map<String, java.nio.file.Path> tunedLensDirs,
                                                            SaeRegistry registry, int topTokens, int decodeTokens) throws java.io.IOException {
        return new ModelRepresentationReader(models, io.latentwatch.monitor.detect.LensTrajectoryScorer.loadLenses(models, tunedLensDirs),
                registry, topTokens, decodeTokens);
    }

    /**
     * Reads {@code h} at {@code hook}: logit lens and Patchscope as {@link #read(HookedTransformer, int, float[])}, plus
     * the tuned-lens top tokens when a tuned lens is configured for the model and the hook is a residual layer.
     */
    public Reading read(HookedTransformer m, String hook, float[] h) {
        Reading r = readAt(m, hook, h);
        List<TokenProbability> tuned = tunedLensTokens(m, hook, h);
        return new Reading(r.logitLens(), tuned, r.patchscopeText(),
                tuned.isEmpty() ? List.of("tuned lens: none configured for " + m.modelId() + " at " + hook) : List.of());
    }

    /** Top tokens (with probabilities) of the tuned lens of {@code m} reading {@code h} at {@code hook}; empty without a lens. */
    public List<TokenProbability> tunedLensTokens(HookedTransformer m, String hook, float[] h) {
        TunedLens lens = tunedLenses.get(m.modelId());
        if (lens == null || lens.model() != m) lens = tunedLenses.entrySet().stream()
                .filter(e -> e.getValue().model() == m).map(Map.Entry::getValue).findFirst().orElse(null);
        int layer = io.latentwatch.monitor.detect.LensTrajectoryScorer.residualLayer(m.config(), hook);
        if (lens == null || layer < 0) return List.of();
        return tokens(lens.topK(layer, h, topTokens));
    }

    static boolean isResidual(String hook) {
        return HookName.parse(hook).map(h -> h.point().startsWith("hook_resid")).orElse(false);
    }

    /** {@code blocks.l.attn.hook_result}: one head's output z_h W_O[h] per row, in residual space. */
    static boolean isHeadOutput(String hook) {
        return HookName.parse(hook).map(h -> "attn.hook_result".equals(h.point())).orElse(false);
    }

    private float[] reconstruct(Alert a, String topLatents) {
        LoadedSae sae = registry.acquire(a.getModelId(), a.getHook(), a.getSaeVersion());
        if (sae == null) return null; // swapped out of the history since: its dictionary is gone
        try {
            float[] x = sae.sae().decoderBias(); // not weights(): that copies W_enc and W_dec too
            for (String part : topLatents.split(",")) {
                String[] kv = part.split(":");
                float[] row = sae.sae().decoderRow(Integer.parseInt(kv[0]));
                float v = Float.parseFloat(kv[1]);
                for (int i = 0; i < x.length; i++) x[i] += v * row[i];
            }
            return x;
        } finally {
            sae.release();
        }
    }

    /** Logit lens and token-identity Patchscope of residual vector {@code h} read at {@code blocks.layer.hook_resid_post}. */
    public Reading read(HookedTransformer m, int layer, float[] h) {
        return readAt(m, "blocks." + layer + ".hook_resid_post", h);
    }

    /** Logit lens, and the token-identity Patchscope with {@code h} patched in at the same residual hook it was read from. */
    private Reading readAt(HookedTransformer m, String residualHook, float[] h) {
        List<TokenProbability> logitLens = tokens(new LogitLens(m).topK(h, topTokens));

        int[] prompt = TokenIdentityPrompt.tokens(m);
        int patchAt = prompt.length - 1;
        int[] seq = prompt;
        for (int t = 0; t < decodeTokens; t++) {
            Tensor logits = m.runWithHooks(seq, Hooks.create().replace(residualHook,
                    at(h, seq.length, patchAt), Selection.positions(patchAt)));
            float[] row = lastRow(logits);
            int best = 0;
            for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
            if (best == m.tokenizer().eosId()) break;
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        String text = m.tokenizer().decode(Arrays.copyOfRange(seq, prompt.length, seq.length));
        return new Reading(logitLens, List.of(), text);
    }

    private static Tensor at(float[] h, int positions, int pos) {
        float[] v = new float[positions * h.length];
        System.arraycopy(h, 0, v, pos * h.length, h.length);
        return new Tensor(v, positions, h.length);
    }

    private static float[] lastRow(Tensor logits) {
        int vocab = logits.dim(-1);
        int rows = logits.size() / vocab;
        return Arrays.copyOfRange(logits.data(), (rows - 1) * vocab, rows * vocab);
    }

    /** Lens tokens as the Avro record the explanation carries. */
    static List<TokenProbability> tokens(List<DecodedToken> decoded) {
        List<TokenProbability> out = new ArrayList<>(decoded.size());
        for (DecodedToken t : decoded) out.add(new TokenProbability(t.token(), t.id(), (double) t.probability()));
        return out;
    }
}
