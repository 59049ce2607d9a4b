package io.latentwatch.interp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys (after RoPE) and values of every block for the tokens seen so far, [batch, n_kv_heads, t, d_head].
 * Owns its arrays in its own manager; close it when the generation ends.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int nLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[nLayers];
        this.values = new NDArray[nLayers];
    }

    /** Number of cached positions (the absolute position of the next token). */
    public int length() { return length; }

    /**
     * Appends this step's keys/values for {@code layer} and returns the full arrays. The new arrays are
     * moved out of the caller's scope into the cache; the previous ones are freed.
     */
    public NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray nk = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray nv = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        NDScope.unregister(nk, nv);
        nk.attach(manager);
        nv.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = nk;
        values[layer] = nv;
        if (layer == keys.length - 1) length = (int) nk.getShape().get(2);
        return new NDArray[]{nk, nv};
    }

    @Override
    public void close() {
        manager.close();
    }
}
