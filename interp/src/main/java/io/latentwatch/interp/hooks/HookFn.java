package io.latentwatch.interp.hooks;

import ai.djl.ndarray.NDArray;

/**
 * A function on one activation (batch axis first, layout in {@link HookPoints}). Return the
 * activation itself to leave it unchanged, or a new array of the same shape to replace it
 * downstream. Do not modify the argument in place; do not keep references after the call
 * (arrays are freed when the forward call ends: copy out with {@code toFloatArray()}).
 */
@FunctionalInterface
public interface HookFn {
    NDArray apply(NDArray activation, HookContext ctx);
}
