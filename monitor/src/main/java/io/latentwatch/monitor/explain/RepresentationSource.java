package io.latentwatch.monitor.explain;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.schema.Alert;

import java.util.concurrent.locks.Lock;

/**
 * Where the representation an alert flags comes from, for the {@link ModelRepresentationReader}:
 * rebuilt from the alert's SAE latents ({@link SaeReconstruction}: the raw hidden state is not kept), or any other
 * source given to the reader programmatically (tests).
 */
@FunctionalInterface
public interface RepresentationSource {
    /**
     * A representation to read: the vector {@code h} (residual space, d_model wide) at {@code hook} of
     * {@code model}; or, when there is none, {@code missing} saying why. {@code lock} (may be null) is
     * held while the reader runs the model, for a model shared with another user (a serving node).
     */
    record Found(HookedTransformer model, String hook, float[] vector, Lock lock, String missing) {
        public static Found of(HookedTransformer model, String hook, float[] vector, Lock lock) {
            return new Found(model, hook, vector, lock, null);
        }

        public static Found missing(String why) { return new Found(null, null, null, null, why); }

        public boolean present() { return vector != null; }
    }

    Found find(Alert alert);
}
