package io.latentwatch.interp.reference;

import java.util.Arrays;

/**
 * A reference-side hook: given a hook name and the activation there, return the activation the
 * forward pass should continue with (the same object for "no change"). Only the hooks that carry
 * the computation forward are writable in the reference: hook_embed, blocks.L.hook_resid_pre,
 * attn.hook_z, hook_attn_out, hook_resid_mid, mlp.hook_post, hook_mlp_out, hook_resid_post.
 */
@FunctionalInterface
public interface Intervention {
    RefTensor apply(String hook, RefTensor activation);

    /** Zeroes head {@code head} of blocks.{layer}.attn.hook_z at every position (zero-ablation). */
    static Intervention zeroHead(int layer, int head) {
        String name = "blocks." + layer + ".attn.hook_z";
        return (hook, a) -> {
            if (!hook.equals(name)) return a;
            double[] d = a.data().clone();
            int T = a.shape()[0], H = a.shape()[1], e = a.shape()[2];
            for (int t = 0; t < T; t++) Arrays.fill(d, (t * H + head) * e, (t * H + head + 1) * e, 0.0);
            return new RefTensor(d, a.shape());
        };
    }

    /** Replaces one hook's activation with {@code value} (activation patching). */
    static Intervention replace(String name, RefTensor value) {
        return (hook, a) -> hook.equals(name) ? value : a;
    }
}
