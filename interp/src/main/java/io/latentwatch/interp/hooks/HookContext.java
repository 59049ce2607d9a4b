package io.latentwatch.interp.hooks;

import ai.djl.ndarray.NDManager;

/**
 * What a hook knows about the activation it receives.
 *
 * @param name           the hook name (TransformerLens naming)
 * @param layer          block index, -1 outside the blocks
 * @param positionOffset absolute position of index 0 along the activation's position axis: 0 for a plain
 *                       forward, the number of cached tokens during KV-cache generation
 * @param lengths        real (unpadded) total length of each batch row, counted from absolute position 0
 * @param batched        whether the caller passed a batch (activations always carry the batch axis here)
 * @param manager        where a hook should create any NDArray it returns (freed at the end of the call)
 */
public record HookContext(String name, int layer, int positionOffset, int[] lengths, boolean batched, NDManager manager) {

    /** Absolute position of row index {@code i} along the position axis. */
    public int absolutePosition(int i) {
        return positionOffset + i;
    }

    public int positionAxis() { return HookName.parse(name).map(HookName::positionAxis).orElse(1); }

    public int headAxis() { return HookName.parse(name).map(HookName::headAxis).orElse(-1); }
}
