package io.latentwatch.interp.circuits;

import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.paths.ComponentMath;
import io.latentwatch.interp.paths.ComponentTrace;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Attention-pattern scores on repeated random tokens (Olsson et al. 2022; TransformerLens's
 * induction-head demo): [BOS] r_1..r_n r_1..r_n.
 * <ul>
 *   <li>previous-token score: mean attention from position q to q-1 (q >= 2);</li>
 *   <li>induction score: mean attention from the second copy of r_j to the first copy of r_{j+1}
 *       (the token that followed r_j last time).</li>
 * </ul>
 * Found without SAEs or ablation, so they are an independent ground truth for induction circuits.
 */
public record AttentionScores(double[][] previousToken, double[][] induction) {

    public static AttentionScores measure(HookedTransformer m, int sequences, int length, int minToken, long seed) {
        int vocab = m.config().vocabSize();
        if (minToken >= vocab) throw new IllegalArgumentException("minToken " + minToken + " >= vocab " + vocab);
        return measure(m, sequences, length, IntStream.range(minToken, vocab).toArray(), seed);
    }

    /** As above, drawing the random tokens from {@code pool} (e.g. whole-word tokens, closer to the training text). */
    public static AttentionScores measure(HookedTransformer m, int sequences, int length, int[] pool, long seed) {
        int L = m.config().nLayers(), H = m.config().nHeads();
        if (pool.length < 2) throw new IllegalArgumentException("token pool needs at least 2 tokens");
        Random rnd = new Random(seed);
        int T = 1 + 2 * length;
        int[][] batch = new int[sequences][T];
        int bos = m.tokenizer() != null ? m.tokenizer().bosId() : 1;
        for (int b = 0; b < sequences; b++) {
            batch[b][0] = bos;
            for (int j = 0; j < length; j++) {
                int t = pool[rnd.nextInt(pool.length)];
                batch[b][1 + j] = t;
                batch[b][1 + length + j] = t;
            }
        }
        List<String> hooks = new ArrayList<>();
        for (int l = 0; l < L; l++) hooks.add("blocks." + l + ".attn.hook_pattern");
        ForwardResult fr = m.runWithCache(batch, hooks);
        double[][] prev = new double[L][H], ind = new double[L][H];
        for (int l = 0; l < L; l++) {
            float[] p = fr.cache().get("blocks." + l + ".attn.hook_pattern").data();   // [B, H, T, T]
            for (int h = 0; h < H; h++) {
                double sp = 0, si = 0;
                int np = 0, ni = 0;
                for (int b = 0; b < sequences; b++) {
                    for (int q = 2; q < T; q++) { sp += p[idx(b, h, q, q - 1, H, T)]; np++; }
                    for (int j = 0; j < length - 1; j++) { si += p[idx(b, h, 1 + length + j, 2 + j, H, T)]; ni++; }
                }
                prev[l][h] = sp / np;
                ind[l][h] = si / ni;
            }
        }
        return new AttentionScores(prev, ind);
    }

    /**
     * The same scores from path patching's clean traces of [BOS] A A prompts (A of {@code n} tokens; Olsson et al.
     * 2022): previous-token score = mean attention from position q to q - 1 (q after the first real token),
     * induction score = mean attention from the second copy of A[j] to the first copy of A[j+1]. The patterns are
     * recomputed from each trace's cached resid_pre with {@link ComponentMath} (tested against the runtime's heads).
     */
    public static AttentionScores fromTraces(ComponentMath math, List<ComponentTrace> cleanTraces, int n, boolean bos) {
        ModelConfig c = math.config();
        double[][][] s = new double[2][c.nLayers()][c.nHeads()];
        int off = bos ? 1 : 0;
        for (ComponentTrace t : cleanTraces) {
            for (int l = 0; l < c.nLayers(); l++)
                for (int h = 0; h < c.nHeads(); h++) {
                    float[][] x = t.residPre[l];
                    float[][] p = math.pattern(math.query(l, h, x), math.key(l, h, x));
                    double prev = 0, ind = 0;
                    for (int q = off + 1; q < p.length; q++) prev += p[q][q - 1];
                    for (int j = 0; j < n - 1; j++) ind += p[off + n + j][off + j + 1];
                    s[0][l][h] += prev / (p.length - off - 1) / cleanTraces.size();
                    s[1][l][h] += ind / (n - 1) / cleanTraces.size();
                }
        }
        return new AttentionScores(s[0], s[1]);
    }

    private static int idx(int b, int h, int q, int k, int H, int T) { return ((b * H + h) * T + q) * T + k; }

    /**
     * Induction circuit heads: induction score >= inductionMin, plus previous-token heads (score >= prevMin)
     * in layers before the deepest induction head (they can only feed it through K-composition from below).
     */
    public Set<HeadId> inductionCircuit(double inductionMin, double prevMin) {
        Set<HeadId> out = new TreeSet<>();
        int deepest = -1;
        for (int l = 0; l < induction.length; l++) {
            for (int h = 0; h < induction[l].length; h++) {
                if (induction[l][h] >= inductionMin) { out.add(new HeadId(l, h)); deepest = l; }
            }
        }
        for (int l = 0; l < deepest; l++) {
            for (int h = 0; h < previousToken[l].length; h++) if (previousToken[l][h] >= prevMin) out.add(new HeadId(l, h));
        }
        return out;
    }
}
