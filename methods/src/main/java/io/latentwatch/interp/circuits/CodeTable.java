package io.latentwatch.interp.circuits;

import java.util.Arrays;

/**
 * The discretised head outputs of O'Neill & Bui (2024): {@code code(example, position, head)} is the
 * argmax latent of the circuit SAE on that head's output there ({@link #SILENT} when no latent fires).
 * Examples are labelled positive or negative; every example has the same number of positions, so
 * position p of one example is comparable with position p of another.
 */
public final class CodeTable {
    /** Code of a head output on which no SAE latent is active (ReLU SAEs can output all zeros). */
    public static final int SILENT = -1;

    private final int[][][] codes;     // [example][position][head]
    private final boolean[] positive;
    private final int positions;
    private final int heads;

    public CodeTable(int[][][] codes, boolean[] positive) {
        if (codes.length == 0 || codes.length != positive.length) {
            throw new IllegalArgumentException("need one label per example and at least one example, got "
                    + codes.length + " examples and " + positive.length + " labels");
        }
        this.positions = codes[0].length;
        this.heads = positions == 0 ? 0 : codes[0][0].length;
        for (int e = 0; e < codes.length; e++) {
            if (codes[e].length != positions) {
                throw new IllegalArgumentException("example " + e + " has " + codes[e].length + " positions, example 0 has " + positions);
            }
            for (int p = 0; p < positions; p++) {
                if (codes[e][p].length != heads) {
                    throw new IllegalArgumentException("example " + e + " position " + p + " has " + codes[e][p].length + " heads, expected " + heads);
                }
            }
        }
        boolean anyPos = false, anyNeg = false;
        for (boolean b : positive) { anyPos |= b; anyNeg |= !b; }
        if (!anyPos || !anyNeg) throw new IllegalArgumentException("need at least one positive and one negative example");
        this.codes = codes;
        this.positive = positive.clone();
    }

    public int examples() { return codes.length; }
    public int positions() { return positions; }
    public int heads() { return heads; }
    public boolean positive(int example) { return positive[example]; }
    public int code(int example, int position, int head) { return codes[example][position][head]; }

    /** A copy of one example's codes [position][head]. */
    public int[][] example(int e) {
        int[][] out = new int[positions][];
        for (int p = 0; p < positions; p++) out[p] = codes[e][p].clone();
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof CodeTable t && Arrays.deepEquals(codes, t.codes) && Arrays.equals(positive, t.positive);
    }

    @Override public int hashCode() { return Arrays.deepHashCode(codes) * 31 + Arrays.hashCode(positive); }
}
