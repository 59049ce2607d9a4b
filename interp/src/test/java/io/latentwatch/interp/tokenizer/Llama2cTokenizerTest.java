package io.latentwatch.interp.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cTokenizerTest {
    static Llama2cTokenizer tok;

    static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel);
    }

    @BeforeAll
    static void load() throws Exception {
        tok = Llama2cTokenizer.load(shared("models/stories260K/tok512.bin"), 512);
    }

    @Test
    void knownEncodingOfOnceUponATime() {
        // pieces: BOS, " Once", " upon", " a", " time" (checked piece by piece below)
        int[] ids = tok.encode("Once upon a time", true);
        assertArrayEquals(new int[]{1, 403, 407, 261, 378}, ids);
        assertEquals(" Once upon a time", tok.tokenString(403) + tok.tokenString(407) + tok.tokenString(261) + tok.tokenString(378));
    }

    @Test
    void bosHandlingAndEmptyText() {
        assertArrayEquals(new int[]{1}, tok.encode("", true));
        assertArrayEquals(new int[0], tok.encode("", false));
        int[] noBos = tok.encode("Once", false);
        assertEquals(403, noBos[0], "dummy prefix merges into ' Once'");
        // decoding drops the dummy-prefix space only after BOS
        assertEquals("Once", tok.decode(new int[]{1, 403}));
        assertEquals(" Once", tok.decode(new int[]{403}));
    }

    @Test
    void roundTripsOfOrdinaryText() {
        for (String s : new String[]{"Lily and Ben went to the park.", "\"Hello!\" said Tom, 42 times.", "a\nb  c", "Zebra xylophone qu?"}) {
            int[] ids = tok.encode(s, true);
            assertEquals(s, tok.decode(ids), "round trip of " + s);
            assertPiecesConcatenate(s, ids);
            assertNoMergeableNeighbours(ids);
        }
    }

    @Test
    void emojiFallsBackToUtf8BytesPlusThree() {
        String s = "hi \uD83D\uDE00"; // U+1F600, UTF-8 F0 9F 98 80
        int[] ids = tok.encode(s, true);
        int[] tail = Arrays.copyOfRange(ids, ids.length - 4, ids.length);
        assertArrayEquals(new int[]{0xF0 + 3, 0x9F + 3, 0x98 + 3, 0x80 + 3}, tail);
        assertEquals("<0xF0>", tok.tokenString(0xF0 + 3));
        assertEquals(s, tok.decode(ids));
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> tok.tokenString(512));
        assertTrue(e.getMessage().contains("512"));
    }

    @Test
    void truncatedTokenizerFileFailsClearly(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(shared("models/stories260K/tok512.bin"));
        Path cut = dir.resolve("tok.bin");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        var e = assertThrows(IOException.class, () -> Llama2cTokenizer.load(cut, 512));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(cut.toString()), e.getMessage());
    }

    /** The pieces (with byte tokens as bytes) spell the dummy-prefixed text. */
    private static void assertPiecesConcatenate(String s, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 1; i < ids.length; i++) out.writeBytes(tok.pieceBytes(-1, ids[i]));
        assertEquals(" " + s, out.toString(StandardCharsets.UTF_8));
    }

    /** Greedy BPE ends only when no adjacent pair concatenates to a vocabulary entry. */
    private static void assertNoMergeableNeighbours(int[] ids) {
        Set<String> vocab = new HashSet<>();
        for (int i = 0; i < tok.vocabSize(); i++) vocab.add(tok.tokenString(i));
        for (int i = 1; i + 1 < ids.length; i++) {
            String cat = tok.tokenString(ids[i]) + tok.tokenString(ids[i + 1]);
            assertTrue(!vocab.contains(cat), "pair " + ids[i] + "," + ids[i + 1] + " ('" + cat + "') should have merged");
        }
    }
}
