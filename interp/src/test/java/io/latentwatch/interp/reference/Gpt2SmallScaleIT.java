package io.latentwatch.interp.reference;

import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * At GPT-2-small scale (d 768, 12 layers, 12 heads, vocab 50257: the benchmark's random model) the
 * runtime still agrees with the reference: float32 accumulation over 768/3072-wide dot products
 * and a 50257-way unembedding stays within 1e-4. An integration test (~0.5 GB written to disk).
 */
class Gpt2SmallScaleIT {
    @TempDir
    Path tmp;

    @Test
    void gpt2SmallSizedRandomModelAgrees() throws Exception {
        RandomCheckpoints.Gpt2Spec s = RandomCheckpoints.Gpt2Spec.small();
        Map<String, Tensor> stored = RandomCheckpoints.writeGpt2(tmp, s, 2024, DType.F32, 1);
        ScalarGpt2 ref = ScalarGpt2.fromHf(stored, s.nHead(), s.layerNormEpsilon());
        int[] tokens = {50256, 464, 3290, 318, 257, 50000, 11, 290};
        ScalarGpt2.Result r = ref.forward(tokens);
        try (HookedTransformer m = HookedTransformer.load(tmp, null)) {
            List<String> hooks = List.of("blocks.0.hook_resid_pre", "blocks.5.hook_resid_mid", "blocks.11.hook_resid_post",
                    "blocks.7.attn.hook_z", "ln_final.hook_normalized");
            ForwardResult got = m.runWithCache(tokens, hooks);
            double d = r.logits().maxAbsDiff(got.logits().data());
            System.out.printf("gpt2-small-sized: max |logit diff| %.3e (max |logit| %.2f)%n", d, r.logits().maxAbs());
            assertEquals(0, d, 1e-4, "logits");
            for (String h : hooks) {
                double dh = r.hooks().get(h).maxAbsDiff(got.cache().get(h).data());
                System.out.printf("gpt2-small-sized: %s %.3e%n", h, dh);
                assertEquals(0, dh, 1e-4, h);
            }
        }
    }
}
