package io.latentwatch.monitor.validate;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TransformerLens hook point name, parsed. latentwatch speaks TransformerLens's names
 * (Nanda &amp; Bloom, TransformerLens, {@code HookedTransformer}): {@code hook_embed},
 * {@code blocks.{L}.hook_resid_pre|mid|post}, {@code blocks.{L}.attn.hook_q|k|v|z|pattern|result},
 * {@code blocks.{L}.hook_attn_out}, {@code blocks.{L}.mlp.hook_post}, {@code blocks.{L}.hook_mlp_out},
 * {@code ln_final.hook_normalized}. Anything else is a producer bug (a typo would otherwise
 * silently open a new baseline).
 *
 * @param name  the full name as sent
 * @param layer the block index, or -1 for hooks outside the blocks
 * @param point the hook point within its block, e.g. {@code hook_resid_post}, {@code attn.hook_z}
 */
public record HookName(String name, int layer, String point) {
    private static final Pattern BLOCK = Pattern.compile(
            "blocks\\.(0|[1-9][0-9]{0,3})\\.(hook_resid_pre|hook_resid_mid|hook_resid_post"
                    + "|attn\\.hook_(?:q|k|v|z|pattern|result)|hook_attn_out|mlp\\.hook_post|hook_mlp_out)");

    /** The hook name parsed, or empty when it is not a TransformerLens hook name. */
    public static Optional<HookName> parse(String name) {
        if (name == null) return Optional.empty();
        if (name.equals("hook_embed") || name.equals("ln_final.hook_normalized")) {
            return Optional.of(new HookName(name, -1, name));
        }
        Matcher m = BLOCK.matcher(name);
        if (!m.matches()) return Optional.empty();
        return Optional.of(new HookName(name, Integer.parseInt(m.group(1)), m.group(2)));
    }

    public static boolean isValid(String name) {
        return parse(name).isPresent();
    }
}
