package io.latentwatch.interp.lens.patchscope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.lens.ResidualDataset;
import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;

import java.util.List;

/**
 * Cross-model Patchscope (paper §4.4): the source model's residual h at (layer l, position i) of a prompt goes
 * through a learned affine map into the target model's residual at (l*, i) of the SAME prompt; the target's
 * next-token prediction at i is compared with the source model's own top-1 next token at i (Precision@1).
 * Each position is patched in its own row of a batched target run (one patched position per row).
 */
public final class CrossModelPatching {
    private CrossModelPatching() {}

    /**
     * @return {precision@1 of the patched target vs the source's top-1, same without patching (the two models'
     *         plain agreement), positions}
     */
    public static double[] precisionAt1(HookedTransformer source, int sourceLayer, HookedTransformer target, int targetLayer,
                                        AffineMap map, List<int[]> prompts) {
        ResidualDataset src = ResidualDataset.collect(source, prompts);
        int vs = source.config().vocabSize(), vt = target.config().vocabSize(), d = target.config().dModel();
        String hook = ResidualLayers.hook(target.config(), targetLayer);
        double hits = 0, plain = 0;
        int row = 0;
        for (int[] p : prompts) {
            int t = p.length - 1;           // positions 1..t (BOS skipped, as in ResidualDataset)
            if (t < 1) continue;
            int[][] batch = new int[t][];
            float[] value = new float[t * p.length * d];
            boolean[] mask = new boolean[t * p.length];
            for (int j = 0; j < t; j++) {
                batch[j] = p;
                int pos = j + 1;
                float[] mapped = map.apply(src.residuals().get(sourceLayer).row(row + j));
                System.arraycopy(mapped, 0, value, (j * p.length + pos) * d, d);
                mask[j * p.length + pos] = true;
            }
            Hooks hooks = Hooks.create().add(hook, (act, ctx) -> {
                NDArray v = ctx.manager().create(value, act.getShape());
                NDArray m = ctx.manager().create(mask, new Shape(t, p.length, 1)).broadcast(act.getShape());
                return NDArrays.where(m, v, act);
            });
            Tensor patched = target.runWithHooks(batch, hooks);   // [t, len, vt]
            Tensor clean = target.logits(p);                     // [len, vt]
            for (int j = 0; j < t; j++) {
                int pos = j + 1;
                int want = LensMath.argmax(src.logits().data(), (row + j) * vs, vs);
                if (LensMath.argmax(patched.data(), (j * p.length + pos) * vt, vt) == want) hits++;
                if (LensMath.argmax(clean.data(), pos * vt, vt) == want) plain++;
            }
            row += t;
        }
        return new double[]{hits / row, plain / row, row};
    }
}
