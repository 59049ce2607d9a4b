package io.latentwatch.trainer;

import java.io.IOException;

/**
 * A stream of activation rows (one per token) at one hook. Sources are read once, front to back;
 * a corpus larger than memory is never held whole (see {@link ActivationPipeline}).
 */
public interface ActivationSource extends AutoCloseable {
    /** Width of every row (d_in of the SAE to train). */
    int dIn();

    /** The next row, or null when the source is exhausted. */
    ActivationRow next() throws IOException;

    @Override
    default void close() throws IOException {}
}
