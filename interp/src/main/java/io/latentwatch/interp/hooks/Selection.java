package io.latentwatch.interp.hooks;

import java.util.Arrays;

/**
 * Which absolute positions and which heads an intervention touches; null means all.
 * Positions are absolute (0 = first token, BOS included), so "position 7" also means position 7
 * while generating with a KV cache.
 */
public record Selection(int[] positions, int[] heads) {
    public static final Selection ALL = new Selection(null, null);

    public Selection {
        if (positions != null) {
            positions = positions.clone();
            for (int p : positions) if (p < 0) throw new IllegalArgumentException("negative position " + p + " in " + Arrays.toString(positions));
        }
        if (heads != null) {
            heads = heads.clone();
            for (int h : heads) if (h < 0) throw new IllegalArgumentException("negative head " + h + " in " + Arrays.toString(heads));
        }
    }

    public static Selection all() { return ALL; }

    public static Selection positions(int... positions) { return new Selection(positions, null); }

    public static Selection heads(int... heads) { return new Selection(null, heads); }

    public Selection withHeads(int... h) { return new Selection(positions, h); }

    public Selection withPositions(int... p) { return new Selection(p, heads); }

    public boolean hasPosition(int p) {
        if (positions == null) return true;
        for (int x : positions) if (x == p) return true;
        return false;
    }

    public boolean hasHead(int h) {
        if (heads == null) return true;
        for (int x : heads) if (x == h) return true;
        return false;
    }
}
