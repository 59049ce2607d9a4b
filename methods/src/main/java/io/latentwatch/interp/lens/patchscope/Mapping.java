package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.AffineMap;

/** The Patchscope's f: how the source representation is transformed before it is patched (paper §3). */
public interface Mapping {
    float[] apply(float[] sourceVector);

    /** A short description for reports. */
    String describe();

    static Mapping identity() {
        return new Mapping() {
            @Override public float[] apply(float[] h) { return h.clone(); }
            @Override public String describe() { return "identity"; }
        };
    }

    static Mapping affine(AffineMap map) {
        return new Mapping() {
            @Override public float[] apply(float[] h) { return map.apply(h); }
            @Override public String describe() { return "affine [" + map.out() + " x " + map.in() + "]"; }
        };
    }
}
