/**
 * Patchscopes (Ghandeharioun et al. 2024): patch a hidden state into a target prompt and decode; the token-
 * identity Patchscope ({@code Patchscope.decodeAt}, with the KV cache) used by the monitor, named configurations,
 * cross-model patching through fitted affine maps, multi-hop correction.
 */
package io.latentwatch.interp.lens.patchscope;
