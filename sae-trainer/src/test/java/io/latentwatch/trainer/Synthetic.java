package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;

import java.util.Random;

/** A synthetic activation source: rows = offset + sparse sums of planted unit directions, 20 tokens per "prompt". */
final class Synthetic implements ActivationSource {
    final int d, features, rows;
    final float[][] dirs;
    final float[] offset;
    private final Random r;
    private int produced;

    Synthetic(int d, int features, int rows, long seed) {
        this.d = d;
        this.features = features;
        this.rows = rows;
        Random g = new Random(1234);      // the same dictionary for every seed/epoch
        dirs = new float[features][d];
        for (float[] u : dirs) {
            double n = 0;
            for (int j = 0; j < d; j++) { u[j] = (float) g.nextGaussian(); n += u[j] * u[j]; }
            for (int j = 0; j < d; j++) u[j] /= (float) Math.sqrt(n);
        }
        offset = new float[d];
        for (int j = 0; j < d; j++) offset[j] = (float) g.nextGaussian();
        r = new Random(seed);
    }

    @Override
    public int dIn() { return d; }

    @Override
    public ActivationRow next() {
        if (produced >= rows) return null;
        float[] x = offset.clone();
        for (int a = 0; a < 3; a++) {
            int f = r.nextInt(features);
            float amp = 1f + 2f * r.nextFloat();
            for (int j = 0; j < d; j++) x[j] += amp * dirs[f][j];
        }
        int i = produced++;
        return new ActivationRow(x, new TokenContext("tok" + (i % 20), "ctx" + i, i / 20, i % 20));
    }
}
