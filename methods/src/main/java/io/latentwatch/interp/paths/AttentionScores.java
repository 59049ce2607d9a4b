package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.ModelConfig;

import java.util.List;

/**
 * Head roles from attention patterns on the clean induction prompts [BOS] A A (Olsson et al. 2022):
 * previous-token score = mean attention from position q to q − 1; induction score = mean attention from the
 * second copy of A[j] to the first copy of A[j+1]. Patterns are recomputed from the cached resid_pre with
 * {@link ComponentMath} (tested against the runtime's heads).
 */
public final class AttentionScores {
    private AttentionScores() {}

    /** {previous-token, induction} scores [2][layer][head] for [BOS] + 2n-token induction prompts. */
    public static double[][][] induction(ComponentMath math, List<ComponentTrace> cleanTraces, int n, boolean bos) {
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
        return s;
    }
}
