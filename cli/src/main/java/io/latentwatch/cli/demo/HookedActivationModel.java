package io.latentwatch.cli.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.LogitLens;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.trainer.ActivationModel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * The trainer's {@link ActivationModel} over an already loaded {@link HookedTransformer}, so the
 * demo's trainer shares the node's model (one copy of the weights). Forward passes take the node's
 * generation lock: the trainer and the node then never compete for the cores mid-forward.
 * The model stays open on {@link #close()}: it belongs to the caller.
 */
public final class HookedActivationModel implements ActivationModel {
    private final HookedTransformer model;
    private final String modelId;
    private final Lock lock;

    public HookedActivationModel(HookedTransformer model, String modelId, Lock lock) {
        this.model = model;
        this.modelId = modelId;
        this.lock = lock;
    }

    @Override public String modelId() { return modelId; }

    @Override public String versionHash() { return model.versionHash(); }

    @Override public int dModel() { return model.config().dModel(); }

    @Override
    public PromptActivations run(String prompt, String hook) {
        int[] toks = model.toTokens(prompt);
        Tensor t;
        lock.lock();
        try {
            t = model.runWithCache(toks, List.of(hook)).cache().get(hook);
        } finally {
            lock.unlock();
        }
        String[] strings = new String[toks.length];
        for (int i = 0; i < toks.length; i++) strings[i] = model.tokenizer().tokenString(toks[i]);
        int d = t.data().length / toks.length;
        return new PromptActivations(t.data(), d, strings);
    }

    @Override
    public String generate(String prompt, int maxNewTokens, float temperature, long seed) {
        lock.lock();
        try {
            var g = Generator.generate(model, model.toTokens(prompt), GenerationConfig.sampling(maxNewTokens, temperature, 0, 1f, seed));
            return prompt + (g.text() == null ? "" : g.text());
        } finally {
            lock.unlock();
        }
    }

    /** Not needed by the demo (no CE gate); say so instead of returning a made-up number. */
    @Override
    public double crossEntropy(List<String> prompts, String hook, SparseAutoencoder sae) {
        throw new UnsupportedOperationException("the demo's trainer does not measure the CE increase");
    }

    /** Logit lens on a direction: its dot product with each unembedding column, top n token strings. */
    @Override
    public LogitLens logitLens() {
        return (direction, n) -> {
            float[] logits;
            try (NDManager m = model.manager().newSubManager()) {
                NDArray dir = m.create(direction, new Shape(1, direction.length));
                NDArray wU = model.params().wU != null ? model.params().wU : model.params().wE.transpose();
                logits = dir.matMul(wU).toFloatArray();
            }
            List<String> out = new ArrayList<>(n);
            boolean[] used = new boolean[logits.length];
            for (int j = 0; j < Math.min(n, logits.length); j++) {
                int best = -1;
                for (int i = 0; i < logits.length; i++) if (!used[i] && (best < 0 || logits[i] > logits[best])) best = i;
                used[best] = true;
                out.add(model.tokenizer().tokenString(best));
            }
            return out;
        };
    }

    @Override
    public void close() {
        // the model belongs to the caller
    }
}
