package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * The few-shot identity target prompt of the token-identity Patchscope (paper §4.1:
 * "cat->cat; 1135->1135; hello->hello; ?", patched at the last position "?"), adapted to the tokenizer: the
 * first candidate whose encoding round-trips through the tokenizer without unknown tokens wins. For a
 * word-level vocabulary such as the zoo's (no "->", no "hello") the candidates use in-vocabulary words and
 * ":" as the arrow.
 */
public final class TokenIdentityPrompt {
    public static final List<String> CANDIDATES = List.of(
            "cat->cat; 1135->1135; hello->hello; ?",
            "cat : cat , 35 : 35 , mary : mary , ?",
            "cat cat . 35 35 . mary mary . ?");

    private TokenIdentityPrompt() {}

    /** The text of the identity prompt for this model's tokenizer. */
    public static String text(HookedTransformer m) {
        Tokenizer tok = m.tokenizer();
        if (tok == null) throw new IllegalStateException("token-identity Patchscope needs a tokenizer (model " + m.modelId() + ")");
        for (String c : CANDIDATES) {
            try {
                int[] ids = tok.encode(c, false);
                if (ids.length == 0) continue;
                boolean unk = Arrays.stream(ids).mapToObj(tok::tokenString).anyMatch(s -> s.equals("[UNK]") || s.equals("<unk>"));
                if (!unk && tok.decode(ids).replace(" ", "").equals(c.replace(" ", ""))) return c;
            } catch (RuntimeException e) {
                // a word-level tokenizer may reject unknown words: try the next candidate
            }
        }
        throw new IllegalStateException("no token-identity prompt fits the tokenizer of " + m.modelId() + ": tried " + CANDIDATES);
    }

    /** Token ids (BOS first); the patch goes at the last position. */
    public static int[] tokens(HookedTransformer m) {
        return m.toTokens(text(m));
    }
}
