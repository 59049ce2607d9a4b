package io.latentwatch.interp.model;

/**
 * The transformer families the runtime implements.
 * LLAMA: RMSNorm, rotary position embeddings (rotate-half convention internally), grouped-query
 * attention, SwiGLU MLP, no biases. GPT2: LayerNorm, learned absolute positions, biased fused QKV,
 * GELU (tanh approximation) MLP, tied unembedding.
 */
public enum Architecture {
    LLAMA, GPT2
}
