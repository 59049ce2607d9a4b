package io.latentwatch.publisher;

import io.latentwatch.schema.SamplingMetadata;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Which requests, hooks and token positions an inference node samples. Sampling keeps the cost on
 * the serving path small; the rate and policy travel with every sample ({@link SamplingMetadata})
 * so the monitor and the trainer can re-weight statistics.
 */
public final class SamplingPolicy {
    /** Which token positions of a sampled request are published. */
    public enum Positions {
        /** Only the last position: the one that predicts the next token. */
        LAST("last"),
        /** Every position. */
        ALL("all"),
        /** k distinct positions drawn uniformly (all of them if the sequence is shorter than k). */
        RANDOM_K("random-k");

        private final String wireName;
        Positions(String wireName) { this.wireName = wireName; }
        public String wireName() { return wireName; }

        public static Positions parse(String s) {
            for (Positions p : values()) if (p.wireName.equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) return p;
            throw new IllegalArgumentException("unknown position policy '" + s + "': use last, all or random-k");
        }
    }

    private final double sampleRate;
    private final Set<String> hooks;
    private final Positions positions;
    private final int k;
    private final Random random;

    /**
     * @param sampleRate share of requests sampled, in (0, 1]
     * @param hooks      hook names to publish; empty means every hook the node captures
     * @param positions  position policy
     * @param k          positions per request for {@link Positions#RANDOM_K} (ignored otherwise)
     * @param seed       seed of the sampling decisions (reproducible runs)
     */
    public SamplingPolicy(double sampleRate, Set<String> hooks, Positions positions, int k, long seed) {
        if (!(sampleRate > 0 && sampleRate <= 1)) throw new IllegalArgumentException("sample rate must be in (0, 1], got " + sampleRate);
        if (positions == Positions.RANDOM_K && k <= 0) throw new IllegalArgumentException("random-k needs k > 0, got " + k);
        this.sampleRate = sampleRate;
        this.hooks = Set.copyOf(hooks);
        this.positions = positions;
        this.k = k;
        this.random = new Random(seed);
    }

    /** Every request, every hook, last position. */
    public static SamplingPolicy everyRequestLastPosition() {
        return new SamplingPolicy(1.0, Set.of(), Positions.LAST, 1, 0);
    }

    public synchronized boolean sampleRequest() {
        return sampleRate >= 1.0 || random.nextDouble() < sampleRate;
    }

    public boolean hookSelected(String hook) {
        return hooks.isEmpty() || hooks.contains(hook);
    }

    /** The positions to publish for a sequence of {@code seqLen} tokens, ascending. */
    public synchronized int[] positions(int seqLen) {
        if (seqLen <= 0) return new int[0];
        switch (positions) {
            case LAST: return new int[] {seqLen - 1};
            case ALL: {
                int[] all = new int[seqLen];
                for (int i = 0; i < seqLen; i++) all[i] = i;
                return all;
            }
            default: {
                if (k >= seqLen) return positionsAll(seqLen);
                // Partial Fisher-Yates: the first k entries are a uniform k-subset.
                int[] idx = positionsAll(seqLen);
                for (int i = 0; i < k; i++) {
                    int j = i + random.nextInt(seqLen - i);
                    int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
                }
                int[] out = Arrays.copyOf(idx, k);
                Arrays.sort(out);
                return out;
            }
        }
    }

    private static int[] positionsAll(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return all;
    }

    public double sampleRate() { return sampleRate; }
    public Set<String> hooks() { return hooks; }
    public Positions positionPolicy() { return positions; }
    public int k() { return k; }

    /** The metadata every sample carries about how it was chosen. */
    public SamplingMetadata metadata() {
        return SamplingMetadata.newBuilder()
                .setSampleRate(sampleRate)
                .setPositionPolicy(positions.wireName())
                .build();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "SamplingPolicy{rate=%s, hooks=%s, positions=%s%s}", sampleRate,
                hooks.isEmpty() ? "all" : hooks, positions.wireName(), positions == Positions.RANDOM_K ? ", k=" + k : "");
    }
}
