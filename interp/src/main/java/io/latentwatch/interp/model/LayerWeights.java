package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;

/**
 * One transformer block's weights in the runtime's canonical layout: every matrix is stored
 * input-major [in, out] so that y = x W (TransformerLens's convention, and one matmul per projection).
 * Llama q/k rows follow the rotate-half (Hugging Face) RoPE convention; llama2.c checkpoints are
 * permuted at load. Biases and LayerNorm biases are null for Llama.
 *
 * @param ln1W   [d_model] RMSNorm/LayerNorm gain before attention
 * @param ln1B   [d_model] LayerNorm bias (GPT-2) or null
 * @param wQ     [d_model, n_heads*d_head]
 * @param wK     [d_model, n_kv_heads*d_head]
 * @param wV     [d_model, n_kv_heads*d_head]
 * @param bQ     [n_heads*d_head] or null (likewise bK, bV)
 * @param wO     [n_heads*d_head, d_model]
 * @param bO     [d_model] or null
 * @param wGate  [d_model, d_mlp] SwiGLU gate (Llama w1) or null for GPT-2
 * @param wIn    [d_model, d_mlp] Llama up projection (w3) / GPT-2 c_fc
 * @param bIn    [d_mlp] or null
 * @param wOut   [d_mlp, d_model] Llama down projection (w2) / GPT-2 mlp c_proj
 * @param bOut   [d_model] or null
 */
public record LayerWeights(Tensor ln1W, Tensor ln1B, Tensor wQ, Tensor wK, Tensor wV, Tensor bQ, Tensor bK, Tensor bV,
                           Tensor wO, Tensor bO, Tensor ln2W, Tensor ln2B, Tensor wGate, Tensor wIn, Tensor bIn,
                           Tensor wOut, Tensor bOut) {
}
