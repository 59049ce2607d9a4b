package io.latentwatch.interp.model;

/**
 * Hyper-parameters of a decoder-only transformer, named as in TransformerLens's HookedTransformerConfig.
 *
 * @param nCtx        the longest sequence the model supports (llama2.c seq_len, HF max_position_embeddings / n_positions)
 * @param normEps     RMSNorm / LayerNorm epsilon
 * @param ropeTheta   rotary base (LLAMA only; ignored for GPT2)
 * @param tiedEmbeddings whether the unembedding is the transposed token embedding
 * @param bosId       beginning-of-sequence token id, or -1 when the model uses none
 * @param eosId       end-of-sequence token id, or -1
 */
public record ModelConfig(Architecture architecture, int dModel, int nLayers, int nHeads, int nKvHeads, int dHead,
                          int dMlp, int vocabSize, int nCtx, float normEps, float ropeTheta, boolean tiedEmbeddings,
                          int bosId, int eosId) {

    public ModelConfig {
        if (architecture == null) throw new IllegalArgumentException("architecture is null");
        if (dModel <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || dHead <= 0 || dMlp <= 0 || vocabSize <= 0 || nCtx <= 0) {
            throw new IllegalArgumentException("non-positive dimension in " + describe(architecture, dModel, nLayers, nHeads,
                    nKvHeads, dHead, dMlp, vocabSize, nCtx));
        }
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_heads " + nHeads + " is not a multiple of n_kv_heads " + nKvHeads);
        }
        if (architecture == Architecture.LLAMA && dHead % 2 != 0) {
            throw new IllegalArgumentException("rotary embeddings need an even d_head, got " + dHead);
        }
        if (architecture == Architecture.GPT2 && nKvHeads != nHeads) {
            throw new IllegalArgumentException("GPT-2 has no grouped-query attention: n_kv_heads " + nKvHeads + " != n_heads " + nHeads);
        }
    }

    /** Convenience for the common case d_head = d_model / n_heads. */
    public static ModelConfig llama(int dModel, int nLayers, int nHeads, int nKvHeads, int dMlp, int vocabSize, int nCtx,
                                    float normEps, float ropeTheta, boolean tied, int bosId, int eosId) {
        return new ModelConfig(Architecture.LLAMA, dModel, nLayers, nHeads, nKvHeads, dModel / nHeads, dMlp, vocabSize,
                nCtx, normEps, ropeTheta, tied, bosId, eosId);
    }

    public static ModelConfig gpt2(int dModel, int nLayers, int nHeads, int dMlp, int vocabSize, int nCtx, float normEps,
                                   int bosId, int eosId) {
        return new ModelConfig(Architecture.GPT2, dModel, nLayers, nHeads, nHeads, dModel / nHeads, dMlp, vocabSize, nCtx,
                normEps, 0f, true, bosId, eosId);
    }

    public int qDim() { return nHeads * dHead; }

    public int kvDim() { return nKvHeads * dHead; }

    /** Query heads sharing one key/value head (1 without grouped-query attention). */
    public int groupSize() { return nHeads / nKvHeads; }

    public boolean isLlama() { return architecture == Architecture.LLAMA; }

    private static String describe(Architecture a, int d, int l, int h, int kv, int dh, int m, int v, int ctx) {
        return a + "(d_model=" + d + ", n_layers=" + l + ", n_heads=" + h + ", n_kv_heads=" + kv + ", d_head=" + dh
                + ", d_mlp=" + m + ", vocab=" + v + ", n_ctx=" + ctx + ")";
    }
}
