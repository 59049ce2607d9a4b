package io.latentwatch.monitor.validate;

import io.latentwatch.interp.hooks.HookName;

import java.util.Optional;
import java.util.Set;

/**
 * The hook names the monitor accepts in a sample: a declared subset of the TransformerLens names
 * ({@link HookName}, the one parser). Accepted are the states a detector, an SAE or the lenses read: the residual
 * stream, the embedding, the final norm, attention q/k/v/z/pattern/result, the attention and MLP outputs and the
 * MLP's post-activation. Not accepted are hooks that carry a copy of another accepted state
 * ({@code ln1/ln2.hook_normalized}, {@code attn.hook_rot_q/k}, {@code attn.hook_attn_scores}) or a pre-activation
 * ({@code mlp.hook_pre}, {@code mlp.hook_pre_linear}), and {@code hook_pos_embed} (a function of the position only):
 * a sample of one of those, like a typo, is a producer bug that would otherwise silently open a new baseline, so it
 * is dead-lettered as {@code UNKNOWN_HOOK}.
 */
public final class WireHooks {
    /** Accepted {@link HookName#point()}s (for hooks outside the blocks the whole name). */
    public static final Set<String> ACCEPTED_POINTS = Set.of("hook_embed", "ln_final.hook_normalized", "hook_resid_pre",
            "hook_resid_mid", "hook_resid_post", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_z",
            "attn.hook_pattern", "attn.hook_result", "hook_attn_out", "mlp.hook_post", "hook_mlp_out");

    private WireHooks() {}

    /** The hook name parsed when the monitor accepts it, otherwise empty. */
    public static Optional<HookName> parse(String name) {
        return HookName.parse(name).filter(h -> ACCEPTED_POINTS.contains(h.point()));
    }

    public static boolean accepts(String name) {
        return parse(name).isPresent();
    }
}
