package io.latentwatch.interp.hooks;

import io.latentwatch.interp.model.Architecture;
import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The hook names a given model fires ({@link HookName} parses and classifies one name), and the layout of the activation each one carries (always with the batch
 * dimension first inside the runtime):
 * <pre>
 * hook_embed, hook_pos_embed (GPT-2), blocks.L.hook_resid_pre|mid|post, blocks.L.hook_attn_out,
 * blocks.L.hook_mlp_out, blocks.L.ln1|ln2.hook_normalized, ln_final.hook_normalized,
 * blocks.L.mlp.hook_pre|hook_post (+ hook_pre_linear for Llama's gated MLP)   [batch, pos, d]
 * blocks.L.attn.hook_q|hook_rot_q|hook_z                                     [batch, pos, n_heads, d_head]
 * blocks.L.attn.hook_k|hook_rot_k|hook_v                                     [batch, pos, n_kv_heads, d_head]
 * blocks.L.attn.hook_result                                                  [batch, pos, n_heads, d_model]
 * blocks.L.attn.hook_attn_scores|hook_pattern                                [batch, n_heads, q_pos, k_pos]
 * </pre>
 * As in TransformerLens, hook_q/hook_k are before the rotary embedding (hook_rot_q/hook_rot_k after),
 * hook_normalized is before the norm's gain (and bias), and hook_attn_scores holds the scaled scores with
 * -inf at masked positions.
 */
public final class HookPoints {
    /** Block hook points only Llama's blocks fire (rotary q/k, the gated MLP's linear branch). */
    private static final Set<String> LLAMA_ONLY = Set.of("attn.hook_rot_q", "attn.hook_rot_k", "mlp.hook_pre_linear");

    private HookPoints() {}

    /** Every hook name the model fires, in execution order. */
    public static List<String> all(ModelConfig c) {
        List<String> out = new ArrayList<>();
        out.add("hook_embed");
        if (c.architecture() == Architecture.GPT2) out.add("hook_pos_embed");
        for (int l = 0; l < c.nLayers(); l++) {
            for (String h : HookName.BLOCK_POINTS) {
                if (c.isLlama() || !LLAMA_ONLY.contains(h)) out.add("blocks." + l + "." + h);
            }
        }
        out.add("ln_final.hook_normalized");
        return out;
    }

    /** The residual-stream hooks: hook_resid_pre of every block, then the last block's hook_resid_post. */
    public static List<String> residuals(ModelConfig c) {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) out.add("blocks." + l + ".hook_resid_pre");
        out.add("blocks." + (c.nLayers() - 1) + ".hook_resid_post");
        return out;
    }

    /** Throws naming the hook and listing valid examples if {@code name} is not a hook of this model. */
    public static void check(ModelConfig c, String name) {
        if (!all(c).contains(name)) {
            throw new IllegalArgumentException("unknown hook '" + name + "' for a " + c.nLayers() + "-layer "
                    + c.architecture() + " model (e.g. hook_embed, blocks.0.hook_resid_pre, blocks.0.attn.hook_z, "
                    + "blocks." + (c.nLayers() - 1) + ".hook_resid_post, ln_final.hook_normalized)");
        }
    }

    public static String block(int layer, String hook) {
        return "blocks." + layer + "." + hook;
    }
}
