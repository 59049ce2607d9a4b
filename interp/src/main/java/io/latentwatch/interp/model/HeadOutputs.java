package io.latentwatch.interp.model;

import io.latentwatch.interp.hooks.HookName;

/**
 * Turns one position of {@code blocks.L.attn.hook_z} ([n_heads, d_head]) into each head's output
 * in the residual stream, z_h W_O[h] ([n_heads, d_model]; TransformerLens's hook_result without the
 * bias). This is what the circuit SAE of O'Neill & Bui (2024) is trained on ({@code HeadCoder}
 * explains why: one SAE shared by all heads needs them in one basis), and what the monitor's
 * circuit path encodes row by row: it reads a hook_z activation of shape [n_heads, d_in of the SAE]
 * as one row per head and applies no projection itself.
 */
public final class HeadOutputs {
    private final float[][] wO;   // per layer [n_heads*d_head, d_model], row-major
    private final int nHeads, dHead, dModel;

    public HeadOutputs(HookedTransformer m) {
        var c = m.config();
        this.nHeads = c.nHeads();
        this.dHead = c.dHead();
        this.dModel = c.dModel();
        this.wO = new float[c.nLayers()][];
        for (int l = 0; l < wO.length; l++) wO[l] = m.params().blocks.get(l).wO.toFloatArray();
    }

    public int heads() { return nHeads; }
    public int dModel() { return dModel; }

    /** {@code blocks.L.attn.hook_result}: the name under which the projected rows of {@code blocks.L.attn.hook_z} are published. */
    public static String resultHookOf(String hookZ) {
        return HookName.block(layerOf(hookZ), "attn.hook_result").name();
    }

    /** Layer of {@code blocks.L.attn.hook_z}; throws for any other hook. */
    public static int layerOf(String hook) {
        return HookName.parse(hook).filter(h -> h.is("attn.hook_z")).map(HookName::layer)
                .orElseThrow(() -> new IllegalArgumentException("'" + hook + "' is not a blocks.L.attn.hook_z hook"));
    }

    /** z [n_heads*d_head] of one position of {@code layer} -> [n_heads*d_model]: out[h] = z_h W_O[h]. */
    public float[] project(int layer, float[] z) {
        if (layer < 0 || layer >= wO.length) throw new IllegalArgumentException("layer " + layer + " outside 0.." + (wO.length - 1));
        if (z.length != nHeads * dHead) {
            throw new IllegalArgumentException("hook_z row of layer " + layer + " has " + z.length + " values, expected "
                    + nHeads + "*" + dHead);
        }
        float[] w = wO[layer];
        float[] out = new float[nHeads * dModel];
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < dHead; i++) {
                float zi = z[h * dHead + i];
                if (zi == 0f) continue;
                int wr = (h * dHead + i) * dModel;
                int o = h * dModel;
                for (int j = 0; j < dModel; j++) out[o + j] += zi * w[wr + j];
            }
        }
        return out;
    }

}
