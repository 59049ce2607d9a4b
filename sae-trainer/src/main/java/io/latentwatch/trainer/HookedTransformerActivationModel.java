package io.latentwatch.trainer;

import ai.djl.ndarray.NDArray;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.DecoderLogits;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link ActivationModel} over the interp runtime's {@link HookedTransformer}: activations from
 * runWithCache, text from the KV-cache generator, CE with the SAE spliced in by a replacing hook,
 * and the logit lens of a direction through W_U (the decoder direction's direct effect on the
 * logits, without the final norm: Neuronpedia's "top logits").
 *
 * <p>Every forward pass holds {@code lock}: a trainer sharing a model with an inference node (the demo: one copy of
 * the weights) passes the node's generation lock, so the two never compete for the cores mid-forward.
 */
public final class HookedTransformerActivationModel implements ActivationModel {
    private final HookedTransformer model;
    private final String modelId;
    private final Lock lock;
    private final boolean owned;

    public HookedTransformerActivationModel(HookedTransformer model, boolean owned) {
        this(model, model.modelId(), new ReentrantLock(), owned);
    }

    /**
     * @param modelId the id versions are published under (e.g. the node's model id)
     * @param lock    held during every forward pass
     * @param owned   whether {@link #close()} closes the model
     */
    public HookedTransformerActivationModel(HookedTransformer model, String modelId, Lock lock, boolean owned) {
        this.model = model;
        this.modelId = modelId;
        this.lock = lock;
        this.owned = owned;
    }

    public static HookedTransformerActivationModel load(Path model, Path tokenizer) throws IOException {
        return new HookedTransformerActivationModel(HookedTransformer.load(model, tokenizer), true);
    }

    /** The lock every forward pass holds. */
    public Lock lock() { return lock; }

    public HookedTransformer model() { return model; }

    /** Registered in META-INF/services/io.latentwatch.trainer.ActivationModelProvider. */
    public static final class Provider implements ActivationModelProvider {
        @Override
        public ActivationModel open(Path model, Path tokenizer) throws IOException {
            return load(model, tokenizer);
        }
    }

    @Override
    public String modelId() { return modelId; }

    @Override
    public String versionHash() { return model.versionHash(); }

    @Override
    public int dModel() { return model.config().dModel(); }

    /** {@code toks} cut to the model's context (the runtime refuses longer sequences). */
    public static int[] fitContext(HookedTransformer m, int[] toks) {
        return toks.length > m.config().nCtx() ? Arrays.copyOf(toks, m.config().nCtx()) : toks;
    }

    /**
     * One batched forward (right-padded) of {@code toks}, each cut to the context, holding {@code lock}: the activation of
     * {@code hook}, [batch, max_len, ...]. Trainers sharing a model with a node (the demo) call this, so they never
     * compete with generation mid-forward.
     */
    public static Tensor cacheHook(HookedTransformer m, Lock lock, int[][] toks, String hook) {
        int[][] fitted = new int[toks.length][];
        for (int i = 0; i < toks.length; i++) fitted[i] = fitContext(m, toks[i]);
        lock.lock();
        try {
            return m.runWithCache(fitted, List.of(hook)).cache().get(hook);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public PromptActivations run(String prompt, String hook) {
        int[] toks = fitContext(model, model.toTokens(prompt));
        Tensor t;
        lock.lock();
        try {
            t = model.runWithCache(toks, List.of(hook)).cache().get(hook);
        } finally {
            lock.unlock();
        }
        int d = t.dim(-1);
        if (t.rank() != 2) {
            throw new IllegalArgumentException("hook " + hook + " has shape " + Arrays.toString(t.shape())
                    + "; SAE training needs a [pos, d] hook (reshape per-head hooks first)");
        }
        String[] strs = new String[toks.length];
        for (int i = 0; i < toks.length; i++) strs[i] = model.tokenizer().tokenString(toks[i]);
        return new PromptActivations(t.data(), d, strs);
    }

    @Override
    public String generate(String prompt, int maxNewTokens, float temperature, long seed) {
        int[] toks = model.toTokens(prompt);
        lock.lock();
        try {
            String continuation = Generator.generate(model, toks, GenerationConfig.sampling(maxNewTokens, temperature, 0, 1f, seed)).text();
            return prompt + (continuation == null ? "" : continuation);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public double crossEntropy(List<String> prompts, String hook, SparseAutoencoder sae) {
        double total = 0;
        long count = 0;
        int vocab = model.config().vocabSize();
        for (String p : prompts) {
            int[] toks = model.toTokens(p);
            if (toks.length > model.config().nCtx()) toks = Arrays.copyOf(toks, model.config().nCtx());
            if (toks.length < 2) continue;
            Hooks h = Hooks.create();
            if (sae != null) {
                h.add(hook, (act, ctx) -> {
                    NDArray flat = act.reshape(-1, act.getShape().get(act.getShape().dimension() - 1));
                    return sae.reconstruct(flat).reshape(act.getShape());
                });
            }
            float[] logits;
            lock.lock();
            try {
                logits = model.runWithHooks(toks, h).data();
            } finally {
                lock.unlock();
            }
            for (int i = 0; i + 1 < toks.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[i * vocab + v]);
                double z = 0;
                for (int v = 0; v < vocab; v++) z += Math.exp(logits[i * vocab + v] - max);
                total += Math.log(z) + max - logits[i * vocab + toks[i + 1]];
                count++;
            }
        }
        if (count == 0) throw new IllegalArgumentException("no prompt has two or more tokens to measure cross-entropy on");
        return total / count;
    }

    @Override
    public DecoderLogits decoderLogits() {
        float[] wU = unembedding();
        int d = dModel();
        int vocab = model.config().vocabSize();
        return (direction, n) -> {
            float[] score = new float[vocab];
            for (int j = 0; j < d; j++) {
                float x = direction[j];
                for (int v = 0; v < vocab; v++) score[v] += x * wU[j * vocab + v];
            }
            Integer[] idx = new Integer[vocab];
            for (int v = 0; v < vocab; v++) idx[v] = v;
            Arrays.sort(idx, (a, b) -> Float.compare(score[b], score[a]));
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < Math.min(n, vocab); i++) out.add(model.tokenizer().tokenString(idx[i]));
            return out;
        };
    }

    /** W_U [d_model, vocab] (W_E^T when the embedding is tied). */
    private float[] unembedding() {
        var p = model.params();
        return p.wU != null ? p.wU.toFloatArray() : p.wE.transpose().toFloatArray();
    }

    @Override
    public void close() {
        if (owned) model.close();
    }
}
