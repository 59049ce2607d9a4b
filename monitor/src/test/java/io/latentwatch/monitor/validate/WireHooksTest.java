package io.latentwatch.monitor.validate;

import io.latentwatch.interp.hooks.HookName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WireHooksTest {
    @Test
    void acceptsEveryTransformerLensHookPoint() {
        for (String n : new String[] {"hook_embed", "ln_final.hook_normalized", "blocks.0.hook_resid_pre",
                "blocks.3.hook_resid_mid", "blocks.11.hook_resid_post", "blocks.2.attn.hook_q", "blocks.2.attn.hook_k",
                "blocks.2.attn.hook_v", "blocks.2.attn.hook_z", "blocks.2.attn.hook_pattern", "blocks.2.attn.hook_result",
                "blocks.5.hook_attn_out", "blocks.5.mlp.hook_post", "blocks.5.hook_mlp_out"}) {
            assertTrue(WireHooks.accepts(n), n);
        }
        HookName h = WireHooks.parse("blocks.11.attn.hook_z").orElseThrow();
        assertEquals(11, h.layer());
        assertEquals("attn.hook_z", h.point());
        assertEquals(-1, WireHooks.parse("hook_embed").orElseThrow().layer());
    }

    @Test
    void rejectsTyposAndOtherLibrariesNames() {
        for (String n : new String[] {"", "blocks.3.hk_resid_post", "blocks.3.resid_post", "blocks.x.hook_resid_post",
                "blocks.-1.hook_resid_post", "blocks.03.hook_resid_post", "model.layers.3", "blocks.3.hook_resid_post.",
                "blocks.3.attn.hook_w", "blocks.3.hook_z", "blocks.3.mlp.hook_pre_linear", " hook_embed"}) {
            assertFalse(WireHooks.accepts(n), n);
        }
        assertFalse(WireHooks.accepts(null));
    }
}
