package io.latentwatch.monitor.detect;

import java.nio.ByteBuffer;

/**
 * Running count, mean and variance by Welford's online algorithm (Welford 1962; Knuth, TAOCP
 * vol. 2, 4.2.2): numerically stable in one pass, O(1) state, so it fits a state-store value.
 * Immutable: {@link #add} returns the updated statistics.
 */
public record WelfordStats(long count, double mean, double m2) {
    public static final WelfordStats EMPTY = new WelfordStats(0, 0, 0);
    static final int BYTES = Long.BYTES + 2 * Double.BYTES;

    /** mean_n = mean_{n-1} + (x - mean_{n-1}) / n;  M2_n = M2_{n-1} + (x - mean_{n-1})(x - mean_n). */
    public WelfordStats add(double x) {
        long n = count + 1;
        double delta = x - mean;
        double newMean = mean + delta / n;
        return new WelfordStats(n, newMean, m2 + delta * (x - newMean));
    }

    /** Sample variance (n - 1 in the denominator); 0 below two observations. */
    public double variance() { return count < 2 ? 0 : m2 / (count - 1); }

    public double stddev() { return Math.sqrt(variance()); }

    public byte[] toBytes() {
        return ByteBuffer.allocate(BYTES).putLong(count).putDouble(mean).putDouble(m2).array();
    }

    public static WelfordStats fromBytes(byte[] b) {
        if (b == null) return null;
        if (b.length != BYTES) throw new IllegalArgumentException("Welford state must be " + BYTES + " bytes, got " + b.length);
        ByteBuffer buf = ByteBuffer.wrap(b);
        return new WelfordStats(buf.getLong(), buf.getDouble(), buf.getDouble());
    }
}
