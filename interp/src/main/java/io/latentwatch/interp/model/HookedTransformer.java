package io.latentwatch.interp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.hooks.ActivationCache;
import io.latentwatch.interp.hooks.HookPoints;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * A transformer checkpoint on DJL's PyTorch engine with TransformerLens hook points.
 * Every call runs inside its own NDScope and sub-manager: all intermediate NDArrays are freed when it
 * returns (or throws); results leave as Java {@link Tensor}s. Hooks are passed per call and never stay
 * registered. Thread-safe for concurrent calls (the weights are read-only).
 */
public final class HookedTransformer implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final TransformerParams params;
    private final Tokenizer tokenizer;
    private final String modelId;
    private final String versionHash;
    private final Set<String> hookNames;

    public HookedTransformer(ModelWeights weights, Tokenizer tokenizer, String modelId, String versionHash) {
        this.config = weights.config();
        this.manager = NDManager.newBaseManager("PyTorch");
        this.params = TransformerParams.fromWeights(weights, manager);
        this.tokenizer = tokenizer;
        this.modelId = modelId;
        this.versionHash = versionHash;
        this.hookNames = Set.copyOf(HookPoints.all(config));
    }

    /** Loads a checkpoint (format detected by {@link ModelLoader}); {@code tokenizer} may be null. */
    public static HookedTransformer load(Path model, Path tokenizer) throws IOException {
        return ModelLoader.load(model, tokenizer);
    }

    public ModelConfig config() { return config; }

    /** The tokenizer, or null when the model was loaded without one. */
    public Tokenizer tokenizer() { return tokenizer; }

    public String modelId() { return modelId; }

    /** SHA-256 (hex) of the weights file(s). */
    public String versionHash() { return versionHash; }

    /** The weights as NDArrays (read-only for inference; do not close them). */
    public TransformerParams params() { return params; }

    /** The manager owning the weights. */
    public NDManager manager() { return manager; }

    public List<String> hookNames() { return HookPoints.all(config); }

    /** Tokens as the model sees them: BOS first when the tokenizer has one. */
    public int[] toTokens(String text) {
        if (tokenizer == null) throw new IllegalStateException("model " + modelId + " was loaded without a tokenizer");
        return tokenizer.encode(text, true);
    }

    /** Logits [pos, vocab] of one prompt. */
    public Tensor logits(int[] tokens) {
        return run(new int[][]{tokens}, false, Hooks.none(), List.of()).logits();
    }

    /** Logits [batch, max_len, vocab] of right-padded prompts of different lengths. */
    public Tensor logits(int[][] batch) {
        return run(batch, true, Hooks.none(), List.of()).logits();
    }

    /** Logits plus the chosen hooks only (batch axis dropped). */
    public ForwardResult runWithCache(int[] tokens, Collection<String> hookNames) {
        return run(new int[][]{tokens}, false, Hooks.none(), hookNames);
    }

    public ForwardResult runWithCache(int[][] batch, Collection<String> hookNames) {
        return run(batch, true, Hooks.none(), hookNames);
    }

    /** Logits with the given hooks applied (they are gone after the call). */
    public Tensor runWithHooks(int[] tokens, Hooks hooks) {
        return run(new int[][]{tokens}, false, hooks, List.of()).logits();
    }

    public Tensor runWithHooks(int[][] batch, Hooks hooks) {
        return run(batch, true, hooks, List.of()).logits();
    }

    /**
     * The general call: hooks applied, then the chosen activations cached (a cached activation is the value
     * after this call's hooks on the same name).
     */
    public ForwardResult run(int[][] batch, boolean batched, Hooks hooks, Collection<String> cacheNames) {
        if (batch.length == 0) throw new IllegalArgumentException("empty batch");
        if (!batched && batch.length != 1) throw new IllegalArgumentException("unbatched run with " + batch.length + " rows");
        for (String n : hooks.names()) if (!hookNames.contains(n)) HookPoints.check(config, n);
        for (String n : cacheNames) if (!hookNames.contains(n)) HookPoints.check(config, n);
        int b = batch.length;
        int[] lengths = new int[b];
        int t = 0;
        for (int r = 0; r < b; r++) {
            if (batch[r].length == 0) throw new IllegalArgumentException("prompt " + r + " has no tokens");
            lengths[r] = batch[r].length;
            t = Math.max(t, lengths[r]);
        }
        long[] flat = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int id = i < batch[r].length ? batch[r][i] : 0; // right padding; masked out as keys
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " at [" + r + "][" + i + "] outside the vocabulary [0, " + config.vocabSize() + ")");
                }
                flat[r * t + i] = id;
            }
        }
        ActivationCache cache = new ActivationCache();
        Hooks all = Hooks.create().addAll(hooks);
        for (String n : cacheNames) all.read(n, (tensor, ctx) -> cache.put(n, tensor));
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray tokens = sub.create(flat, new Shape(b, t));
            NDArray logits = TransformerForward.forward(params, tokens, 0, lengths, batched, all, null);
            return new ForwardResult(Hooks.toTensor(logits, batched), cache);
        }
    }

    /**
     * The model's head applied to residual-stream vectors: final norm (with gain/bias) then the unembedding,
     * [..., d_model] -> [..., vocab]. On the last block's hook_resid_post this gives the logits; on earlier
     * residuals it is the logit lens (nostalgebraist 2020; Patchscopes' simplest special case).
     */
    public Tensor unembed(Tensor residual) {
        int d = config.dModel();
        if (residual.dim(-1) != d) {
            throw new IllegalArgumentException("residual " + residual + " does not end in d_model " + d);
        }
        int rows = residual.size() / d;
        try (NDManager sub = manager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = sub.create(residual.data(), new Shape(rows, d));
            NDArray logits = TransformerForward.unembed(params, x);
            int[] shape = residual.shape();
            shape[shape.length - 1] = config.vocabSize();
            return new Tensor(logits.toFloatArray(), shape);
        }
    }

    @Override
    public void close() {
        manager.close();
        if (tokenizer != null) tokenizer.close();
    }

    @Override
    public String toString() {
        return "HookedTransformer(" + modelId + ", " + config + ")";
    }
}
