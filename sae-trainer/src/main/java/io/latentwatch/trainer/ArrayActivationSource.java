package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;

import java.util.Arrays;
import java.util.List;

/** Rows from memory (tests, cached activations). Contexts may be null: a placeholder is used (position -1: unknown). */
public final class ArrayActivationSource implements ActivationSource {
    private final float[] rows;
    private final int d;
    private final List<TokenContext> contexts;
    private int next;

    public ArrayActivationSource(float[] rows, int d, List<TokenContext> contexts) {
        if (d <= 0 || rows.length % d != 0) throw new IllegalArgumentException(rows.length + " floats are not whole rows of " + d);
        if (contexts != null && contexts.size() != rows.length / d) {
            throw new IllegalArgumentException(rows.length / d + " rows but " + contexts.size() + " contexts");
        }
        this.rows = rows;
        this.d = d;
        this.contexts = contexts;
    }

    @Override
    public int dIn() { return d; }

    @Override
    public ActivationRow next() {
        if (next * d >= rows.length) return null;
        float[] r = Arrays.copyOfRange(rows, next * d, (next + 1) * d);
        TokenContext c = contexts != null ? contexts.get(next) : new TokenContext("#" + next, "#" + next, next, -1);
        next++;
        return new ActivationRow(r, c);
    }
}
