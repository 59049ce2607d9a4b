package io.latentwatch.interp.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** DJL's HF tokenizers on a hand-written WordLevel tokenizer.json (the zoo's kind). */
class HfTokenizerTest {
    static final String JSON = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": null,
             "pre_tokenizer": {"type": "WhitespaceSplit"},
             "post_processor": null,
             "decoder": null,
             "model": {"type": "WordLevel", "unk_token": "<unk>",
                       "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "mary": 3, "and": 4, "john": 5, "went": 6, "home": 7}}}
            """;

    @Test
    void wordLevelEncodingWithAndWithoutBos(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, JSON);
        try (HfTokenizer t = HfTokenizer.load(f, -1, -1)) {
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertEquals(8, t.vocabSize());
            assertArrayEquals(new int[]{3, 4, 5, 6, 7}, t.encode("mary and john went home", false));
            assertArrayEquals(new int[]{1, 3, 4, 5}, t.encode("mary and john", true));
            assertArrayEquals(new int[]{1, 0}, t.encode("zebra", true), "unknown words map to <unk>");
            assertEquals("john", t.tokenString(5));
            assertEquals("mary and john", t.decode(new int[]{1, 3, 4, 5}).strip().replaceAll("\\s+", " "));
            assertThrows(IllegalArgumentException.class, () -> t.tokenString(99));
        }
    }

    @Test
    void bosFromTheModelConfigWins(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, JSON);
        try (HfTokenizer t = HfTokenizer.load(f, 2, 2)) {
            assertArrayEquals(new int[]{2, 7}, t.encode("home", true));
        }
    }
}
