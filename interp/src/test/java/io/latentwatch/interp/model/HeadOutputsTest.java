package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HeadOutputsTest {
    static Path zoo() {
        for (String base : new String[]{"../models/zoo-small", "models/zoo-small"}) {
            if (Files.isDirectory(Path.of(base))) return Path.of(base);
        }
        throw new IllegalStateException("cannot find models/zoo-small");
    }

    /** Known property: the heads' outputs z_h W_O[h] sum to the attention block's output (Llama: no b_O). */
    @Test
    void perHeadOutputsSumToTheAttentionOutput() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        try (HookedTransformer m = HookedTransformer.load(zoo(), null)) {
            HeadOutputs ho = new HeadOutputs(m);
            int[] toks = m.toTokens("when sam and amy went to the village , sam gave a pen to");
            var cache = m.runWithCache(toks, List.of("blocks.1.attn.hook_z", "blocks.1.hook_attn_out")).cache();
            Tensor z = cache.get("blocks.1.attn.hook_z");
            Tensor out = cache.get("blocks.1.hook_attn_out");
            int d = m.config().dModel(), h = m.config().nHeads(), zw = h * m.config().dHead();
            int p = toks.length - 1;
            float[] heads = ho.project(1, Arrays.copyOfRange(z.data(), p * zw, (p + 1) * zw));
            assertEquals(h * d, heads.length);
            for (int j = 0; j < d; j++) {
                double sum = 0;
                for (int k = 0; k < h; k++) sum += heads[k * d + j];
                assertEquals(out.data()[p * d + j], sum, 1e-4, "dim " + j);
            }
            assertEquals(1, HeadOutputs.layerOf("blocks.1.attn.hook_z"));
            assertThrows(IllegalArgumentException.class, () -> HeadOutputs.layerOf("blocks.1.hook_resid_post"));
            assertThrows(IllegalArgumentException.class, () -> ho.project(1, new float[3]));
        }
    }
}
