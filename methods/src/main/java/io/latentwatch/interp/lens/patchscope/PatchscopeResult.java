package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.DecodedToken;

import java.util.List;

/**
 * @param sourceVector  the representation read at the source hook and position
 * @param patchedVector f(sourceVector), injected at the target hook and position
 * @param targetHook    the hook the vector was injected at
 * @param targetPosition absolute target position
 * @param nextLogits    target logits at its last prompt position (after the patch)
 * @param topK          the most probable next tokens there
 * @param generated     generated token ids (empty when reading the next token only)
 * @param text          decoded generation, or the top-1 token's text when reading the next token
 */
public record PatchscopeResult(float[] sourceVector, float[] patchedVector, String targetHook, int targetPosition,
                               float[] nextLogits, List<DecodedToken> topK, int[] generated, String text) {}
