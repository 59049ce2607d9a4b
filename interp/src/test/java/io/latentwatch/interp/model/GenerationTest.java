package io.latentwatch.interp.model;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.GenerationResult;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.HookPoints;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.hooks.Selection;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KV-cache generation against full recomputation, hooks during generation, and stories260K's greedy story. */
class GenerationTest {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random", "llama-random"})
    void kvCacheStepLogitsEqualFullRecompute(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] prompt = TestModels.tokens(m, 5, 11);
        GenerationResult g = Generator.generate(m, prompt,
                GenerationConfig.sampling(20, 1.0f, 0, 1f, 5L).withStops(false, false));
        assertEquals(25, g.tokens().length);
        Tensor full = m.logits(g.tokens());
        int v = m.config().vocabSize();
        for (int i = 0; i < 20; i++) {
            float[] step = g.stepLogits().row(i);
            float[] ref = full.row(prompt.length - 1 + i);
            assertTrue(HookedTransformerPropertiesTest.maxDiff(step, ref) < 1e-4f, "step " + i);
        }
        assertEquals(v, g.stepLogits().dim(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "gpt2-random"})
    void hooksFireOnGeneratedTokensAtTheirAbsolutePositions(String name) throws Exception {
        HookedTransformer m = TestModels.byName(name);
        int[] prompt = TestModels.tokens(m, 4, 12);
        // ablate a head and steer the residual at one position that only exists during generation
        float[] delta = new float[m.config().dModel()];
        Arrays.fill(delta, 1f);
        Hooks h = Hooks.create()
                .zeroAblate(HookPoints.block(0, "attn.hook_z"), Selection.heads(2))
                .addVector(HookPoints.block(1, "hook_resid_pre"), new Tensor(delta, delta.length), Selection.positions(7));
        GenerationResult g = Generator.generate(m, prompt, GenerationConfig.greedy(10).withStops(false, false), h);
        Tensor full = m.runWithHooks(g.tokens(), h);
        for (int i = 0; i < 10; i++) {
            assertTrue(HookedTransformerPropertiesTest.maxDiff(g.stepLogits().row(i), full.row(prompt.length - 1 + i)) < 1e-4f,
                    "step " + i);
        }
        // and the interventions changed the result
        Tensor clean = m.logits(g.tokens());
        assertTrue(HookedTransformerPropertiesTest.maxDiff(clean.row(7), full.row(7)) > 0);
    }

    @Test
    void seededSamplingIsReproducibleAndSeedsDiffer() throws Exception {
        HookedTransformer m = TestModels.stories();
        int[] bos = {1};
        GenerationConfig a = GenerationConfig.sampling(30, 1.0f, 0, 0.95f, 42L).withStops(false, false);
        int[] x = Generator.generate(m, bos, a).tokens();
        int[] y = Generator.generate(m, bos, a).tokens();
        assertArrayEquals(x, y);
        int[] z = Generator.generate(m, bos, GenerationConfig.sampling(30, 1.0f, 0, 0.95f, 43L).withStops(false, false)).tokens();
        assertNotEquals(Arrays.toString(x), Arrays.toString(z));
        int[] k1 = Generator.generate(m, bos, GenerationConfig.sampling(30, 1.0f, 1, 1f, 7L).withStops(false, false)).tokens();
        int[] greedy = Generator.generate(m, bos, GenerationConfig.greedy(30).withStops(false, false)).tokens();
        assertArrayEquals(greedy, k1, "top-k 1 is greedy");
    }

    /** Common TinyStories words: the greedy story must be made of real English words. */
    private static final Set<String> WORDS = new HashSet<>(Arrays.asList(("a an the and but so then once upon time there was were is are be "
            + "been he she it they we you i me my her his him their them our your its to of in on at with for from by "
            + "up down out into over under too very not no yes all some one two day days little big small red blue "
            + "girl boy mom mommy dad daddy friend friends named lily tim tom ben sue sam anna max mia sara park ball "
            + "tree toy toys dog cat bird fish sun home house room play played playing plays loved love liked like "
            + "wanted want went go goes going saw see look looked said says say asked ask help helped happy sad smiled "
            + "smile fun good best had has have did do does could can would will know knew find found let us lets "
            + "let's what who how why when where this that these those outside inside together again after before "
            + "every each more most many much other another new old nice kind fast slow high low long sorry thank "
            + "thanks didn't don't can't couldn't wasn't won't it's i'm she's he's mom's lily's dad's felt feel made "
            + "make came come ran run jumped jump took take gave give got get put just also now then back away off "
            + "around hard soft warm cold hot tall short pretty beautiful fly flew open opened closed close same "
            + "thing things something anything everything nothing way friends' best ever never always").split(" ")));

    @Test
    void greedyGenerationFromBosIsCoherentTinyStoriesEnglish() throws Exception {
        HookedTransformer m = TestModels.stories();
        GenerationResult g = Generator.generate(m, m.toTokens(""), GenerationConfig.greedy(200));
        String text = g.text();
        System.out.println("stories260K greedy from BOS:\n" + text);
        assertTrue(text.startsWith("Once upon a time"), text);
        String[] words = text.toLowerCase().replaceAll("[^a-z' ]", " ").trim().split("\\s+");
        long known = Arrays.stream(words).filter(WORDS::contains).count();
        assertTrue(words.length > 60, "a story of more than 60 words");
        assertTrue(known >= 0.85 * words.length, "only " + known + " of " + words.length + " words are common English: " + text);
    }
}
