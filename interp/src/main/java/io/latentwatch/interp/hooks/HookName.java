package io.latentwatch.interp.hooks;

import io.latentwatch.interp.model.ModelConfig;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TransformerLens hook name, parsed: the one place that knows how hook names are spelled and what kind of
 * activation each carries. latentwatch speaks TransformerLens's names (Nanda &amp; Bloom, TransformerLens,
 * {@code HookedTransformer}); {@link HookPoints} lists the ones a given model fires, in order.
 *
 * @param name  the full name, e.g. {@code blocks.3.attn.hook_z}
 * @param layer the block index, or -1 for hooks outside the blocks ({@code hook_embed}, {@code ln_final...})
 * @param point the hook point within its block, e.g. {@code hook_resid_post}, {@code attn.hook_z}; for hooks outside
 *              the blocks the whole name
 */
public record HookName(String name, int layer, String point) {
    /** Hook points inside a block, in execution order (Llama adds rot_q/rot_k and mlp.hook_pre_linear). */
    public static final List<String> BLOCK_POINTS = List.of("hook_resid_pre", "ln1.hook_normalized", "attn.hook_q",
            "attn.hook_k", "attn.hook_v", "attn.hook_rot_q", "attn.hook_rot_k", "attn.hook_attn_scores", "attn.hook_pattern",
            "attn.hook_z", "attn.hook_result", "hook_attn_out", "hook_resid_mid", "ln2.hook_normalized", "mlp.hook_pre",
            "mlp.hook_pre_linear", "mlp.hook_post", "hook_mlp_out", "hook_resid_post");
    /** Hook names outside the blocks. */
    public static final Set<String> GLOBAL = Set.of("hook_embed", "hook_pos_embed", "ln_final.hook_normalized");
    private static final Set<String> BLOCK_POINT_SET = Set.copyOf(BLOCK_POINTS);
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(0|[1-9][0-9]{0,3})\\.(.+)");

    /** The hook name parsed, or empty when it is not a TransformerLens hook name. */
    public static Optional<HookName> parse(String name) {
        if (name == null) return Optional.empty();
        if (GLOBAL.contains(name)) return Optional.of(new HookName(name, -1, name));
        Matcher m = BLOCK.matcher(name);
        if (!m.matches() || !BLOCK_POINT_SET.contains(m.group(2))) return Optional.empty();
        return Optional.of(new HookName(name, Integer.parseInt(m.group(1)), m.group(2)));
    }

    /** The hook name parsed; throws naming it when it is not a TransformerLens hook name. */
    public static HookName of(String name) {
        return parse(name).orElseThrow(() -> new IllegalArgumentException("'" + name + "' is not a TransformerLens hook name "
                + "(e.g. hook_embed, blocks.0.hook_resid_pre, blocks.0.attn.hook_z, ln_final.hook_normalized)"));
    }

    /** {@code blocks.layer.point}. */
    public static HookName block(int layer, String point) {
        return of("blocks." + layer + "." + point);
    }

    /** Block index of a hook name, or -1 for hooks outside the blocks and for names that are not hook names. */
    public static int layerOf(String name) {
        return parse(name).map(HookName::layer).orElse(-1);
    }

    /** {@link #residualLayer(ModelConfig)} of {@code hook}; -1 when it is not a hook name. */
    public static int residualLayer(ModelConfig c, String hook) {
        return parse(hook).map(h -> h.residualLayer(c)).orElse(-1);
    }

    /** Whether {@code hook} is a hook name of an attention map (false for anything else). */
    public static boolean isAttentionMap(String hook) {
        return parse(hook).map(HookName::isAttentionMap).orElse(false);
    }

    /** Whether this hook is {@code point} of some block, e.g. {@code is("attn.hook_z")}. */
    public boolean is(String blockPoint) {
        return layer >= 0 && point.equals(blockPoint);
    }

    /** A residual-stream hook: hook_resid_pre, hook_resid_mid or hook_resid_post. */
    public boolean isResidual() {
        return point.startsWith("hook_resid_");
    }

    /** hook_attn_scores or hook_pattern: [batch, n_heads, q_pos, k_pos]. */
    public boolean isAttentionMap() {
        return point.equals("attn.hook_attn_scores") || point.equals("attn.hook_pattern");
    }

    /** Every hook with a head axis: q, k, v (and rotated), z, result and the attention maps. */
    public boolean isPerHead() {
        return point.startsWith("attn.");
    }

    /**
     * One vector per head at each position: {@code attn.hook_z} [n_heads, d_head] (the head's mixed values) or
     * {@code attn.hook_result} [n_heads, d_model] (its output z_h W_O[h]); what circuit SAEs read row by row.
     */
    public boolean isHeadVector() {
        return is("attn.hook_z") || is("attn.hook_result");
    }

    /**
     * Residual layer in the lenses' numbering ({@code ResidualLayers}, Belrose et al. 2023):
     * {@code blocks.l.hook_resid_pre} is l, {@code blocks.l.hook_resid_post} is l+1 (the input of block l+1);
     * -1 for any other hook or a block outside the model.
     */
    public int residualLayer(ModelConfig c) {
        if (layer < 0 || layer >= c.nLayers()) return -1;
        if (point.equals("hook_resid_pre")) return layer;
        if (point.equals("hook_resid_post")) return layer + 1;
        return -1;
    }

    /** Axis of the (query) position in the batched activation. */
    public int positionAxis() {
        return isAttentionMap() ? 2 : 1;
    }

    /** Axis of the head in the batched activation, or -1 for hooks without one. */
    public int headAxis() {
        if (!isPerHead()) return -1;
        return isAttentionMap() ? 1 : 2;
    }

    @Override
    public String toString() {
        return name;
    }
}
