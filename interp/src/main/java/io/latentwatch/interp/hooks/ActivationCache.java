package io.latentwatch.interp.hooks;

import io.latentwatch.interp.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Activations copied out of a forward pass as Java {@link Tensor}s, keyed by hook name. For a single
 * prompt the batch axis is dropped (e.g. hook_resid_pre is [pos, d_model], hook_z [pos, head, d_head],
 * hook_pattern [head, q_pos, k_pos]); for a batched run it is kept in front.
 */
public final class ActivationCache {
    private final Map<String, Tensor> values = new LinkedHashMap<>();

    public void put(String name, Tensor t) {
        values.put(name, t);
    }

    public Tensor get(String name) {
        Tensor t = values.get(name);
        if (t == null) {
            throw new IllegalArgumentException("hook '" + name + "' was not cached (cached: " + values.keySet() + ")");
        }
        return t;
    }

    public boolean contains(String name) { return values.containsKey(name); }

    public Set<String> names() { return Collections.unmodifiableSet(values.keySet()); }

    public Map<String, Tensor> asMap() { return Collections.unmodifiableMap(values); }

    public int size() { return values.size(); }
}
