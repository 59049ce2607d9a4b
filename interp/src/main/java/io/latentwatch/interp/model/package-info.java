/**
 * The model runtime: checkpoint loaders (llama2.c, Hugging Face Llama and GPT-2), canonical weights, the
 * functional forward pass with hook sites and the one final norm + unembedding ({@code TransformerForward}),
 * {@code HookedTransformer}, the KV cache, per-head outputs ({@code HeadOutputs}) and the runtime benchmark.
 */
package io.latentwatch.interp.model;
