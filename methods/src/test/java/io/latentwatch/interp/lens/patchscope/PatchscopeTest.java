package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.GenerationResult;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.LensFixtures;
import io.latentwatch.interp.lens.LogitLens;
import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PatchscopeTest {

    @Test
    void patchingIntoTheSameRunReproducesTheSourceOutputExactly() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] toks = m.toTokens("Once upon a time, there was a little girl named Lily.");
        float[] source = m.logits(toks).row(toks.length - 1);
        for (int layer = 0; layer <= m.config().nLayers(); layer++) {
            for (int pos : new int[]{3, toks.length - 1}) {
                PatchscopeResult r = Patchscope.run(PatchscopeRequest.builder(m, toks, layer).position(pos).targetPosition(pos).build());
                assertArrayEquals(source, r.nextLogits(), 0f, "layer " + layer + " position " + pos);
                assertEquals(ResidualLayers.hook(m.config(), layer), r.targetHook());
            }
        }
    }

    @Test
    void sameModelSamePromptGenerationIsUnchanged() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] toks = m.toTokens("Tom went to the park");
        GenerationResult plain = Generator.generate(m, toks, GenerationConfig.greedy(12).withStops(true, true));
        PatchscopeResult r = Patchscope.run(PatchscopeRequest.builder(m, toks, 2).position(2).targetPosition(2).generate(12).build());
        assertArrayEquals(plain.generated(), r.generated());
        assertEquals(plain.text(), r.text());
    }

    @Test
    void patchIsInjectedOnlyAtTheTargetPositionAndHook() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] src = m.toTokens("The cat sat on the mat.");
        int[] tgt = m.toTokens("A dog ran in the big green park today");
        int layer = 2, pos = 4;
        String hook = ResidualLayers.hook(m.config(), layer);
        float[] h = Patchscope.sourceVector(m, src, layer, src.length - 1);
        float[][] seen = new float[1][];
        Hooks probe = Patchscope.patchHooks(m, tgt.length, layer, pos, h)
                .read(hook, (t, ctx) -> seen[0] = t.data());
        m.runWithHooks(tgt, probe);
        Tensor clean = m.runWithCache(tgt, List.of(hook)).cache().get(hook);
        int d = m.config().dModel();
        for (int p = 0; p < tgt.length; p++) {
            float[] row = Arrays.copyOfRange(seen[0], p * d, (p + 1) * d);
            assertArrayEquals(p == pos ? h : clean.row(p), row, 0f, "position " + p);
        }
        // generation: the hook sees position `pos` replaced in the prefill, and never any later position
        int[] calls = new int[2];
        Hooks gen = Patchscope.patchHooks(m, tgt.length, layer, pos, h).read(hook, (t, ctx) -> {
            if (ctx.positionOffset() == 0) calls[0]++;
            else {
                calls[1]++;
                assertTrue(ctx.positionOffset() >= tgt.length);
            }
        });
        PatchscopeResult r = Patchscope.run(PatchscopeRequest.builder(m, src, layer).targetPrompt(tgt).targetPosition(pos).generate(5).build());
        GenerationResult g = Generator.generate(m, tgt, GenerationConfig.greedy(5), gen);
        assertArrayEquals(g.generated(), r.generated());
        assertEquals(1, calls[0]);
    }

    @Test
    void lastLayerIntoLastPositionIsTheLogitLens() throws Exception {
        // patching h into the final residual (after the last block) of any prompt's last position leaves only the
        // final norm and unembedding: the Patchscope equals the logit lens of h (paper §3, logit lens as a special case)
        HookedTransformer m = LensFixtures.stories();
        int[] src = m.toTokens("Lily and Tom played with a ball");
        int L = m.config().nLayers();
        int[] tgt = TokenIdentityPrompt.tokens(m);
        PatchscopeResult r = Patchscope.run(PatchscopeRequest.builder(m, src, L).position(4).targetPrompt(tgt).build());
        float[] lens = new LogitLens(m).logits(new Tensor(r.sourceVector(), 1, r.sourceVector().length)).data();
        for (int i = 0; i < lens.length; i++) assertEquals(lens[i], r.nextLogits()[i], 1e-4f);
        // and the batched form agrees with the single request
        Tensor batched = Patchscope.nextTokenLogits(m, tgt, L, -1, new Tensor(r.sourceVector(), 1, r.sourceVector().length), 8);
        assertArrayEquals(r.nextLogits(), batched.data(), 1e-5f);
    }

    @Test
    void batchedTokenIdentityEqualsSingleRequests() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] src = m.toTokens("The little bird sang a song");
        int layer = 2;
        int[] tgt = TokenIdentityPrompt.tokens(m);
        String hook = ResidualLayers.hook(m.config(), layer);
        Tensor act = m.runWithCache(src, List.of(hook)).cache().get(hook);
        Tensor batched = Patchscope.nextTokenLogits(m, tgt, layer, -1, act, 3);
        int v = m.config().vocabSize();
        for (int p : new int[]{1, 4, src.length - 1}) {
            PatchscopeResult r = Patchscope.run(NamedPatchscopes.tokenIdentity(m, src, layer, p));
            float[] row = Arrays.copyOfRange(batched.data(), p * v, (p + 1) * v);
            assertArrayEquals(r.nextLogits(), row, 1e-4f, "position " + p);
        }
    }

    @Test
    void affineMappingIsApplied() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int d = m.config().dModel();
        int[] src = m.toTokens("Once upon a time");
        float[] w = new float[d * d];
        float[] b = new float[d];
        for (int i = 0; i < d; i++) { w[i * d + i] = 2f; b[i] = 0.5f; }
        AffineMap map = new AffineMap(new Tensor(w, d, d), new Tensor(b, d));
        PatchscopeResult r = Patchscope.run(PatchscopeRequest.builder(m, src, 1).mapping(Mapping.affine(map)).build());
        for (int i = 0; i < d; i++) assertEquals(2f * r.sourceVector()[i] + 0.5f, r.patchedVector()[i], 1e-6f);
    }

    @Test
    void identityPromptFitsTheStoriesTokenizer() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        assertEquals(TokenIdentityPrompt.CANDIDATES.get(0), TokenIdentityPrompt.text(m));
    }

    @Test
    void badRequestsNameTheProblem() throws Exception {
        HookedTransformer m = LensFixtures.stories();
        int[] t = m.toTokens("Hi");
        var e = assertThrows(IllegalArgumentException.class, () -> PatchscopeRequest.builder(m, t, 9).build());
        assertTrue(e.getMessage().contains("residual layer 9"));
        var e2 = assertThrows(IllegalArgumentException.class, () -> PatchscopeRequest.builder(m, t, 1).position(50).build());
        assertTrue(e2.getMessage().contains("position 50"));
    }
}
