/**
 * Sparse autoencoders: architectures as classes (standard, TopK, BatchTopK, JumpReLU, gated), file formats
 * (SAELens, Gemma Scope, Llama Scope, sparsify), training (losses, Adam, geometric-median init), evaluation and
 * baselines, batched projection ({@code SaeProjection}) and latent labels (max-activating contexts, {@code
 * DecoderLogits}).
 */
package io.latentwatch.interp.sae;
