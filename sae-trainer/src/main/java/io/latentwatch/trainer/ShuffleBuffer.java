package io.latentwatch.trainer;

import java.io.IOException;
import java.util.Random;

/**
 * A streaming shuffle: keeps {@code size} rows; each call returns a uniformly chosen one and puts the
 * next incoming row in its place (as tf.data's shuffle buffer). Consecutive tokens of one prompt are
 * strongly correlated; this spreads them across batches without holding the corpus in memory.
 */
public final class ShuffleBuffer implements ActivationSource {
    private final ActivationSource source;
    private final ActivationRow[] buf;
    private final Random rnd;
    private int filled;
    private boolean exhausted;

    public ShuffleBuffer(ActivationSource source, int size, long seed) {
        this.source = source;
        this.buf = new ActivationRow[Math.max(1, size)];
        this.rnd = new Random(seed);
    }

    @Override
    public int dIn() { return source.dIn(); }

    @Override
    public ActivationRow next() throws IOException {
        while (!exhausted && filled < buf.length) {
            ActivationRow r = source.next();
            if (r == null) exhausted = true;
            else buf[filled++] = r;
        }
        if (filled == 0) return null;
        int i = rnd.nextInt(filled);
        ActivationRow out = buf[i];
        ActivationRow incoming = exhausted ? null : source.next();
        if (incoming == null) {
            exhausted = true;
            buf[i] = buf[--filled];
            buf[filled] = null;
        } else {
            buf[i] = incoming;
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        source.close();
    }
}
