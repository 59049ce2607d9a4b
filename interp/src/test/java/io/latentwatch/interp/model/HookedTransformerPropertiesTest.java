package io.latentwatch.interp.model;

import io.latentwatch.interp.hooks.ActivationCache;
import io.latentwatch.interp.hooks.HookPoints;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known properties of hooks, caching, patching and ablation that any correct hooked transformer has. */
class HookedTransformerPropertiesTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void identityHooksOnEveryHookChangeNothing(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] toks = TestModels.tokens(m, 11, 1);
        Tensor clean = m.logits(toks);
        Hooks id = Hooks.create();
        List<String> fired = new ArrayList<>();
        for (String h : m.hookNames()) {
            id.add(h, (act, ctx) -> {
                fired.add(ctx.name());
                return act;
            });
        }
        Tensor hooked = m.runWithHooks(toks, id);
        assertArrayEquals(clean.data(), hooked.data(), "identity hooks must not change a single bit");
        assertEquals(m.hookNames().size(), fired.size(), "every hook fired once");
        // a hook that REPLACES hook_result makes attn_out the sum of the per-head outputs: equal up to summation order
        Hooks res = Hooks.create();
        for (int l = 0; l < m.config().nLayers(); l++) res.add(HookPoints.block(l, "attn.hook_result"), (a, c) -> a.duplicate());
        float diff = clean.maxAbsDiff(m.runWithHooks(toks, res));
        assertTrue(diff < 1e-4f, "hook_result path differs by " + diff);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void patchingEveryHookWithItsOwnCachedValueReproducesTheLogitsExactly(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] toks = TestModels.tokens(m, 9, 2);
        List<String> names = new ArrayList<>(m.hookNames());
        ForwardResult clean = m.runWithCache(toks, names);
        assertArrayEquals(m.logits(toks).data(), clean.logits().data(), "caching every hook (hook_result too) changes nothing");
        assertEquals(names.size(), clean.cache().size());
        names.removeIf(h -> h.endsWith("hook_result")); // patching it switches attn_out to a per-head sum (1e-5 level)
        for (String h : names) {
            Tensor patched = m.runWithHooks(toks, Hooks.create().replace(h, clean.cache().get(h)));
            assertArrayEquals(clean.logits().data(), patched.data(), "patching " + h + " with its own value");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void zeroAblatingOneHeadChangesOnlyThatHeadAtThatLayerAndNothingEarlier(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        ModelConfig c = m.config();
        int layer = c.nLayers() / 2, head = 1;
        int[] toks = TestModels.tokens(m, 10, 3);
        List<String> names = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            names.add(HookPoints.block(l, "attn.hook_z"));
            names.add(HookPoints.block(l, "hook_resid_pre"));
            names.add(HookPoints.block(l, "hook_resid_post"));
        }
        ActivationCache clean = m.runWithCache(toks, names).cache();
        ForwardResult ab = m.run(new int[][]{toks}, false,
                Hooks.create().zeroAblate(HookPoints.block(layer, "attn.hook_z"), Selection.heads(head)), names);
        for (int l = 0; l < c.nLayers(); l++) {
            Tensor zc = clean.get(HookPoints.block(l, "attn.hook_z")), za = ab.cache().get(HookPoints.block(l, "attn.hook_z"));
            if (l < layer) {
                assertArrayEquals(zc.data(), za.data(), "layer " + l + " before the ablation is untouched");
                assertArrayEquals(clean.get(HookPoints.block(l, "hook_resid_post")).data(),
                        ab.cache().get(HookPoints.block(l, "hook_resid_post")).data());
            } else if (l == layer) {
                int t = zc.dim(0), h = zc.dim(1), dh = zc.dim(2);
                for (int p = 0; p < t; p++) {
                    for (int hh = 0; hh < h; hh++) {
                        for (int i = 0; i < dh; i++) {
                            int k = (p * h + hh) * dh + i;
                            if (hh == head) assertEquals(0f, za.data()[k], "ablated head is zero");
                            else assertEquals(zc.data()[k], za.data()[k], "other heads of the layer are unchanged");
                        }
                    }
                }
                assertArrayEquals(clean.get(HookPoints.block(l, "hook_resid_pre")).data(),
                        ab.cache().get(HookPoints.block(l, "hook_resid_pre")).data());
                assertTrue(clean.get(HookPoints.block(l, "hook_resid_post")).maxAbsDiff(
                        ab.cache().get(HookPoints.block(l, "hook_resid_post"))) > 0, "the ablation has an effect");
            }
        }
        assertTrue(ab.logits().maxAbsDiff(m.logits(toks)) > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void batchedPaddedForwardEqualsSingleForwards(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[][] batch = {TestModels.tokens(m, 7, 4), TestModels.tokens(m, 13, 5), TestModels.tokens(m, 2, 6)};
        List<String> hooks = List.of("blocks.0.hook_resid_pre", HookPoints.block(m.config().nLayers() - 1, "hook_resid_post"),
                "blocks.1.attn.hook_pattern", "blocks.0.attn.hook_z");
        ForwardResult b = m.runWithCache(batch, hooks);
        int tmax = 13, v = m.config().vocabSize();
        assertArrayEquals(new int[]{3, tmax, v}, b.logits().shape());
        for (int r = 0; r < batch.length; r++) {
            ForwardResult s = m.runWithCache(batch[r], hooks);
            int len = batch[r].length;
            float[] bl = Arrays.copyOfRange(b.logits().data(), r * tmax * v, (r * tmax + len) * v);
            float diff = maxDiff(bl, s.logits().data());
            assertTrue(diff < 1e-4f, "row " + r + " logits differ by " + diff); // batched matmuls may sum in another order
            Tensor br = b.cache().get("blocks.0.hook_resid_pre");
            int d = br.dim(2);
            assertTrue(maxDiff(Arrays.copyOfRange(br.data(), r * tmax * d, (r * tmax + len) * d),
                    s.cache().get("blocks.0.hook_resid_pre").data()) < 1e-6f);
            // the pattern of real queries puts no weight on padding keys
            Tensor bp = b.cache().get("blocks.1.attn.hook_pattern"); // [b, h, q, k]
            Tensor sp = s.cache().get("blocks.1.attn.hook_pattern"); // [h, q, k]
            int h = sp.dim(0);
            for (int hh = 0; hh < h; hh++) {
                for (int q = 0; q < len; q++) {
                    for (int k = 0; k < tmax; k++) {
                        float got = bp.data()[((r * h + hh) * tmax + q) * tmax + k];
                        float want = k < len ? sp.data()[(hh * len + q) * len + k] : 0f;
                        assertEquals(want, got, 1e-5f, "pattern row " + r + " head " + hh + " q " + q + " k " + k);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random"})
    void hooksAreGoneAfterAnExceptionAndNothingLeaks(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] toks = TestModels.tokens(m, 6, 7);
        Tensor before = m.logits(toks);
        int arrays = m.manager().getManagedArrays().size();
        Hooks bad = Hooks.create().zeroAblate("blocks.0.hook_resid_pre")
                .add("blocks.1.hook_resid_pre", (a, c) -> { throw new IllegalStateException("boom"); });
        assertThrows(IllegalStateException.class, () -> m.runWithHooks(toks, bad));
        assertArrayEquals(before.data(), m.logits(toks).data());
        assertEquals(arrays, m.manager().getManagedArrays().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K"})
    void unknownHookNamesAreRejectedWithTheName(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        var e = assertThrows(IllegalArgumentException.class,
                () -> m.runWithCache(new int[]{1, 5}, List.of("blocks.9.hook_resid_pre")));
        assertTrue(e.getMessage().contains("blocks.9.hook_resid_pre"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random"})
    void addVectorAndPositionSelectionsTouchOnlyTheChosenPositions(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] toks = TestModels.tokens(m, 8, 8);
        String h = "blocks.1.hook_resid_pre";
        int d = m.config().dModel();
        float[] delta = new float[d];
        Arrays.fill(delta, 0.5f);
        ActivationCache clean = m.runWithCache(toks, List.of(h, "blocks.1.hook_resid_post")).cache();
        ForwardResult steered = m.run(new int[][]{toks}, false,
                Hooks.create().addVector(h, new Tensor(delta, d), Selection.positions(5)), List.of(h, "blocks.1.hook_resid_post"));
        Tensor a = clean.get(h), b = steered.cache().get(h);
        for (int p = 0; p < 8; p++) {
            for (int i = 0; i < d; i++) {
                float want = a.data()[p * d + i] + (p == 5 ? 0.5f : 0f);
                assertEquals(want, b.data()[p * d + i], 0f);
            }
        }
        // causality: positions before 5 are unaffected downstream too
        Tensor pa = clean.get("blocks.1.hook_resid_post"), pb = steered.cache().get("blocks.1.hook_resid_post");
        assertArrayEquals(Arrays.copyOf(pa.data(), 5 * d), Arrays.copyOf(pb.data(), 5 * d));
        assertTrue(maxDiff(Arrays.copyOfRange(pa.data(), 5 * d, 6 * d), Arrays.copyOfRange(pb.data(), 5 * d, 6 * d)) > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K"})
    void concurrentCallsGiveTheSameResultsAsSequentialOnes(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[][] prompts = new int[8][];
        Tensor[] want = new Tensor[8];
        for (int i = 0; i < 8; i++) {
            prompts[i] = TestModels.tokens(m, 5 + i, 100 + i);
            want[i] = m.logits(prompts[i]);
        }
        int arrays = m.manager().getManagedArrays().size();
        var pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Tensor>> got = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                for (int i = 0; i < 8; i++) {
                    int k = i;
                    got.add(pool.submit(() -> m.runWithHooks(prompts[k], Hooks.create().zeroAblate("hook_embed",
                            Selection.positions(999)))));
                }
            }
            // not bitwise: OpenMP's thread count is per calling thread, so GEMM may block (and round) differently
            for (int j = 0; j < got.size(); j++) assertTrue(want[j % 8].maxAbsDiff(got.get(j).get()) < 1e-4f, "call " + j);
        } finally {
            pool.shutdown();
        }
        assertEquals(arrays, m.manager().getManagedArrays().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void unembeddingTheLastResidualGivesTheLogits(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] toks = TestModels.tokens(m, 6, 13);
        String last = HookPoints.block(m.config().nLayers() - 1, "hook_resid_post");
        ForwardResult r = m.runWithCache(toks, List.of(last));
        Tensor viaHead = m.unembed(r.cache().get(last));
        assertArrayEquals(r.logits().shape(), viaHead.shape());
        assertTrue(r.logits().maxAbsDiff(viaHead) < 1e-5f);
    }

    static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
