package io.latentwatch.interp.zoo;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCorpusTest {
    private final ZooVocabulary v = ZooVocabulary.get();

    @Test
    void sameSeedSameStreamOtherSeedOtherStream() {
        int[][] a = new SyntheticCorpus(42).batch(8, 64), b = new SyntheticCorpus(42).batch(8, 64), c = new SyntheticCorpus(43).batch(8, 64);
        assertTrue(Arrays.deepEquals(a, b), "same seed must give the same windows");
        assertFalse(Arrays.deepEquals(a, c), "another seed must give other windows");
        for (int[] w : a) {
            assertEquals(65, w.length);
            assertEquals(v.bos(), w[0], "every window starts with BOS");
            for (int t : w) assertTrue(t >= 0 && t < v.size());
        }
    }

    @Test
    void vocabularyIsUniqueAndHoldsEveryTaskWord() {
        assertEquals(v.size(), new HashSet<>(v.words()).size());
        assertEquals(v.size(), v.words().size());
        for (String w : new String[] {"mary", "john", "monday", "december", "99", "z", "paris", "france", "[BOS]"}) assertEquals(w, v.word(v.id(w)));
        assertThrows(IllegalArgumentException.class, () -> v.id("Mary"));
    }

    @Test
    void plantedMechanismsAppearWithTheirStructure() {
        SyntheticCorpus c = new SyntheticCorpus(7);
        for (int i = 0; i < 200; i++) {
            String[] ind = c.segment(SyntheticCorpus.Kind.INDUCTION).split(" ");
            int n = (ind.length - 1) / 2;
            assertArrayEquals(Arrays.copyOfRange(ind, 0, n), Arrays.copyOfRange(ind, n, 2 * n), "induction segment repeats its sequence");
            String ioi = c.segment(SyntheticCorpus.Kind.IOI);
            String[] w = ioi.split(" ");
            String io = w[w.length - 2];
            assertTrue(ioi.contains(" " + io + " and ") || ioi.contains(" and " + io + " "), "IO is one of the two first-mentioned names: " + ioi);
            String g = c.segment(SyntheticCorpus.Kind.GREATER_THAN);
            String[] gw = g.split(" ");
            assertTrue(Integer.parseInt(gw[5]) > Integer.parseInt(gw[3]), g);
        }
    }

    @Test
    void heldOutPersonsAndPairsNeverAppearInTwoHopOrIoiTraining() {
        SyntheticCorpus c = new SyntheticCorpus(11);
        FactTable f = FactTable.get();
        int twoHop = 0;
        for (int i = 0; i < 3000; i++) {
            String s = c.segment(SyntheticCorpus.Kind.FACTS);
            if (s.contains(" is from ")) {
                twoHop++;
                assertTrue(f.isTwoHopTraining(s.split(" ")[0]), "two-hop statement about a held-out person: " + s);
            }
            String[] w = c.segment(SyntheticCorpus.Kind.IOI).split(" ");
            String io = w[w.length - 2], subj = w[w.length - 7];
            assertFalse(SyntheticCorpus.isHeldOutPair(io, subj), "held-out name pair in training: " + String.join(" ", w));
        }
        assertTrue(twoHop > 0);
        assertFalse(f.twoHopTrainingPersons().isEmpty());
        assertTrue(f.twoHopTrainingPersons().size() < ZooVocabulary.PERSONS.size());
    }

    @Test
    void tokenizerJsonLoadsInDjlAndRoundTrips(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("tokenizer.json");
        ZooTokenizerJson.write(file);
        String text = "when mary and john went to the store , john gave a drink to mary . 23 24 25 monday tuesday";
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(file)) {
            Encoding e = tok.encode(text);
            long[] ids = e.getIds();
            assertEquals(v.bos(), ids[0], "post-processor prepends BOS");
            int[] expected = v.encode(text);
            assertEquals(expected.length + 1, ids.length);
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], ids[i + 1], "token " + i);
            assertEquals(text, tok.decode(ids, true));
            assertEquals(v.id(ZooVocabulary.UNK), tok.encode("xylophone").getIds()[1], "unknown words map to [UNK]");
        }
    }

    @Test
    void committedTokenizersMatchTheGenerator() throws Exception {
        ObjectMapper om = new ObjectMapper();
        for (String m : new String[] {"zoo-small", "zoo-base"}) {
            Path p = ZooModels.dir(m).resolve("tokenizer.json");
            assertEquals(ZooTokenizerJson.build(), om.readTree(Files.readAllBytes(p)), p + " is stale");
        }
    }
}
