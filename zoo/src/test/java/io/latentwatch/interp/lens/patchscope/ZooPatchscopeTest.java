package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.zoo.FactTable;
import io.latentwatch.interp.zoo.ZooVocabulary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Patchscopes on the project's word-level zoo model (models/zoo-small, committed on the interp branch). */
class ZooPatchscopeTest {
    static HookedTransformer zoo;

    @BeforeAll
    static void load() throws Exception {
        Path p = Files.exists(Path.of("../models/zoo-small")) ? Path.of("../models/zoo-small") : Path.of("models/zoo-small");
        zoo = HookedTransformer.load(p, null);
    }

    @AfterAll
    static void close() { zoo.close(); }

    @Test
    void tokenIdentityPromptUsesInVocabularyWords() {
        String t = TokenIdentityPrompt.text(zoo);
        assertEquals(TokenIdentityPrompt.CANDIDATES.get(1), t);
        int unk = zoo.tokenizer().encode("[UNK]", false)[0];
        for (int id : TokenIdentityPrompt.tokens(zoo)) assertNotEquals(unk, id);
    }

    @Test
    void multiHopGridCellsMatchDirectPatchscopeRuns() {
        FactTable f = FactTable.get();
        List<MultiHopCorrection.Case> cases = new ArrayList<>();
        for (String p : ZooVocabulary.PERSONS.subList(0, 2)) {
            String c = f.cityOf(p);
            cases.add(new MultiHopCorrection.Case(p + " lives in", c, c + " is in", p + " is from", f.countryOf(c)));
        }
        MultiHopCorrection.Result r = MultiHopCorrection.evaluate(zoo, cases, "x");
        assertTrue(r.eligible() > 0 && r.eligible() <= 2);
        // recompute one grid cell and the vanilla accuracy independently
        int hitsBefore = 0, hitsCell = 0, n = 0;
        for (MultiHopCorrection.Case c : cases) {
            if (argmaxLast(zoo.logits(zoo.toTokens(c.firstHop()))) != id(c.bridge())) continue;
            if (argmaxLast(zoo.logits(zoo.toTokens(c.secondHopPrompt()))) != id(c.answer())) continue;
            n++;
            if (argmaxLast(zoo.logits(zoo.toTokens(c.twoHop()))) == id(c.answer())) hitsBefore++;
            int[] tgt = zoo.toTokens("x " + c.secondHopPrompt().substring(c.bridge().length() + 1));
            PatchscopeResult pr = Patchscope.run(PatchscopeRequest.builder(zoo, zoo.toTokens(c.firstHop()), 2)
                    .targetPrompt(tgt).targetPosition(1).targetLayer(1).build());
            if (pr.topK().get(0).id() == id(c.answer())) hitsCell++;
        }
        assertEquals(n, r.eligible());
        assertEquals((double) hitsBefore / n, r.accuracyBefore(), 1e-12);
        assertEquals((double) hitsCell / n, r.accuracyByLayerPair()[2][1], 1e-12);
    }

    static int id(String w) { return zoo.tokenizer().encode(w, false)[0]; }

    static int argmaxLast(Tensor logits) { return LensMath.argmax(logits.row(logits.dim(0) - 1)); }
}
