package io.latentwatch.trainer;

import io.latentwatch.interp.sae.SaeTraining;
import io.latentwatch.interp.sae.TokenContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Source → bounded background buffer → split by prompt into train and validation → shuffle buffer
 * (train only) → training batches. The split is by prompt (a hash of the prompt index), so held-out
 * rows come from text the SAE never trained on. Validation rows (up to a cap) and their contexts are
 * kept for evaluation, baselines and labels. When the source is exhausted before training ends, a
 * fresh one is opened from the factory (another epoch) — only train rows are reused.
 */
public final class ActivationPipeline implements SaeTraining.Batches, AutoCloseable {
    private final Supplier<ActivationSource> factory;
    private final int bufferRows;
    private final int shuffleRows;
    private final double validationShare;
    private final int validationCap;
    private final long seed;
    private final int d;
    private final FloatList validation = new FloatList();
    private final List<TokenContext> validationContexts = new ArrayList<>();
    private ActivationSource train;
    private int epoch;
    private long trainRowsServed;

    public ActivationPipeline(Supplier<ActivationSource> factory, int bufferRows, int shuffleRows, double validationShare,
                              int validationCap, long seed) {
        this.factory = factory;
        this.bufferRows = bufferRows;
        this.shuffleRows = shuffleRows;
        this.validationShare = validationShare;
        this.validationCap = validationCap;
        this.seed = seed;
        this.train = open();
        this.d = train.dIn();
    }

    private ActivationSource open() {
        ActivationSource raw = new BoundedActivationBuffer(factory.get(), bufferRows);
        ActivationSource split = new SplitFilter(raw, epoch == 0);
        return new ShuffleBuffer(split, shuffleRows, seed + epoch);
    }

    /** Whether a prompt belongs to the validation set: a fixed hash, the same in every epoch. */
    boolean isValidation(int prompt) {
        return isValidation(prompt, seed, validationShare);
    }

    /** The split rule, usable outside a pipeline (e.g. to pick held-out prompts for the CE measurement). */
    public static boolean isValidation(int prompt, long seed, double share) {
        long h = (prompt + 0x9E3779B97F4A7C15L * (seed + 1)) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        return Math.floorMod(h, 10_000) < share * 10_000;
    }

    /** Drops validation prompts from the train stream; in the first epoch, keeps them (to the cap). */
    private final class SplitFilter implements ActivationSource {
        private final ActivationSource in;
        private final boolean collect;

        SplitFilter(ActivationSource in, boolean collect) {
            this.in = in;
            this.collect = collect;
        }

        @Override
        public int dIn() { return in.dIn(); }

        @Override
        public ActivationRow next() throws IOException {
            ActivationRow r;
            while ((r = in.next()) != null) {
                if (!isValidation(r.context().prompt())) return r;
                if (collect) {
                    synchronized (validation) {
                        if (validationContexts.size() < validationCap) {
                            validation.addAll(r.values());
                            validationContexts.add(r.context());
                        }
                    }
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    public int dIn() { return d; }

    /** Reads {@code n} train rows (opening new epochs as needed); throws if the data has no train rows at all. */
    @Override
    public float[] next(int n) {
        float[] out = new float[n * d];
        try {
            for (int i = 0; i < n; i++) {
                ActivationRow r = train.next();
                if (r == null) {
                    train.close();
                    epoch++;
                    if (trainRowsServed == 0) throw new IllegalStateException("the activation source yielded no training rows");
                    train = open();
                    r = train.next();
                    if (r == null) throw new IllegalStateException("the activation source yielded no rows in epoch " + epoch);
                }
                System.arraycopy(r.values(), 0, out, i * d, d);
                trainRowsServed++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Validation rows collected so far (row-major). */
    public float[] validationRows() {
        synchronized (validation) {
            return validation.toArray();
        }
    }

    public List<TokenContext> validationContexts() {
        synchronized (validation) {
            return List.copyOf(validationContexts);
        }
    }

    public int epochs() { return epoch + 1; }

    public long trainRowsServed() { return trainRowsServed; }

    @Override
    public void close() throws IOException {
        train.close();
    }

    /** A growable float array. */
    static final class FloatList {
        private float[] a = new float[1024];
        private int n;

        void addAll(float[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + v.length));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        float[] toArray() { return Arrays.copyOf(a, n); }
    }
}
