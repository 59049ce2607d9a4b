package io.latentwatch.interp.lens;

import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Residual vectors of every lens layer and the model's final logits at the same positions, gathered from
 * prompts: the training data of the tuned lens and the evaluation set of the lens report. Position 0 (BOS)
 * is skipped: its residual is the same constant vector for every prompt and says nothing about the text.
 *
 * @param residuals one [n, d_model] tensor per residual layer 0..n_layers
 * @param logits    the model's logits [n, vocab] at the same positions
 * @param tokens    the token at each position [n] (the representation's own input token)
 * @param sources   for each row, {prompt index, position}
 */
public record ResidualDataset(List<Tensor> residuals, Tensor logits, int[] tokens, int[][] sources) {

    public int size() { return tokens.length; }

    /** Runs every prompt (token ids, BOS first) once with the residual hooks cached. */
    public static ResidualDataset collect(HookedTransformer model, List<int[]> prompts) {
        ModelConfig c = model.config();
        int layers = ResidualLayers.count(c), d = c.dModel(), v = c.vocabSize();
        List<String> hooks = new ArrayList<>();
        for (int l = 0; l < layers; l++) hooks.add(ResidualLayers.hook(c, l));
        int n = 0;
        for (int[] p : prompts) n += Math.max(0, Math.min(p.length, c.nCtx()) - 1);
        if (n == 0) throw new IllegalArgumentException("no positions after BOS in " + prompts.size() + " prompts");
        float[][] res = new float[layers][n * d];
        float[] logits = new float[n * v];
        int[] toks = new int[n];
        int[][] src = new int[n][];
        int row = 0;
        for (int pi = 0; pi < prompts.size(); pi++) {
            int[] p = prompts.get(pi);
            if (p.length > c.nCtx()) p = Arrays.copyOf(p, c.nCtx());
            if (p.length < 2) continue;
            ForwardResult r = model.runWithCache(p, hooks);
            int t = p.length - 1;
            for (int l = 0; l < layers; l++) {
                System.arraycopy(r.cache().get(hooks.get(l)).data(), d, res[l], row * d, t * d);
            }
            System.arraycopy(r.logits().data(), v, logits, row * v, t * v);
            for (int i = 1; i <= t; i++) {
                toks[row + i - 1] = p[i];
                src[row + i - 1] = new int[]{pi, i};
            }
            row += t;
        }
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) out.add(new Tensor(res[l], n, d));
        return new ResidualDataset(out, new Tensor(logits, n, v), toks, src);
    }
}
