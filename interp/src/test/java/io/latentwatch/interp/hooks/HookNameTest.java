package io.latentwatch.interp.hooks;

import io.latentwatch.interp.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HookNameTest {
    private static final ModelConfig LLAMA = ModelConfig.llama(32, 3, 4, 2, 64, 24, 16, 1e-5f, 10000f, false, 1, 2);
    private static final ModelConfig GPT2 = ModelConfig.gpt2(32, 2, 4, 64, 24, 16, 1e-5f, 1, 2);

    @Test
    void everyHookAModelFiresParsesWithItsLayer() {
        for (ModelConfig c : List.of(LLAMA, GPT2)) {
            List<String> all = HookPoints.all(c);
            for (String name : all) {
                HookName h = HookName.of(name);
                assertEquals(name, h.name());
                assertEquals(name.startsWith("blocks.") ? Integer.parseInt(name.split("\\.")[1]) : -1, h.layer(), name);
            }
            assertEquals(all.size(), all.stream().distinct().count());
        }
        assertTrue(HookPoints.all(LLAMA).contains("blocks.2.mlp.hook_pre_linear"));
        assertFalse(HookPoints.all(GPT2).contains("blocks.1.attn.hook_rot_q"));
        assertTrue(HookPoints.all(GPT2).contains("hook_pos_embed"));
    }

    @Test
    void rejectsNamesThatAreNotHookNames() {
        for (String n : new String[] {"", "blocks.3.hk_resid_post", "blocks.03.hook_resid_post", "blocks.-1.hook_resid_post",
                "blocks.3.hook_z", "model.layers.3", " hook_embed", "blocks.3.hook_resid_post."}) {
            assertTrue(HookName.parse(n).isEmpty(), n);
        }
        assertTrue(HookName.parse(null).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookName.of("blocks.1.hook_z"));
        assertTrue(e.getMessage().contains("blocks.1.hook_z"), e.getMessage());
    }

    @Test
    void classifiesTheActivationLayout() {
        HookName z = HookName.of("blocks.1.attn.hook_z");
        assertTrue(z.isPerHead() && z.isHeadVector() && !z.isAttentionMap() && !z.isResidual());
        assertEquals(1, z.positionAxis());
        assertEquals(2, z.headAxis());
        HookName pattern = HookName.of("blocks.0.attn.hook_pattern");
        assertTrue(pattern.isAttentionMap() && pattern.isPerHead() && !pattern.isHeadVector());
        assertEquals(2, pattern.positionAxis());
        assertEquals(1, pattern.headAxis());
        HookName resid = HookName.of("blocks.2.hook_resid_mid");
        assertTrue(resid.isResidual());
        assertEquals(-1, resid.headAxis());
        assertTrue(HookName.of("blocks.2.attn.hook_result").isHeadVector());
        assertTrue(HookName.block(2, "attn.hook_z").is("attn.hook_z"));
        assertEquals(-1, HookName.layerOf("ln_final.hook_normalized"));
    }

    @Test
    void residualLayersFollowTheLensNumbering() {
        assertEquals(0, HookName.residualLayer(LLAMA, "blocks.0.hook_resid_pre"));
        assertEquals(1, HookName.residualLayer(LLAMA, "blocks.0.hook_resid_post"));
        assertEquals(3, HookName.residualLayer(LLAMA, "blocks.2.hook_resid_post"));
        assertEquals(-1, HookName.residualLayer(LLAMA, "blocks.3.hook_resid_pre"));
        assertEquals(-1, HookName.residualLayer(LLAMA, "blocks.1.hook_resid_mid"));
        assertEquals(-1, HookName.residualLayer(LLAMA, "not a hook"));
    }
}
