package io.latentwatch.interp.sae;

/**
 * Where an activation row came from: the token's text, a short window of the text around it
 * (the token itself marked with ⟦ ⟧), and its prompt index and absolute position (-1 when unknown).
 */
public record TokenContext(String token, String context, int prompt, int position) {

    /** The context of token {@code pos} of {@code toks}: {@link #window} around it. */
    public static TokenContext of(String[] toks, int prompt, int pos) {
        return new TokenContext(toks[pos], window(toks, pos), prompt, pos);
    }

    /** Up to 8 tokens before and 3 after, the token itself in ⟦ ⟧ (what max-activating examples show). */
    public static String window(String[] toks, int pos) {
        StringBuilder b = new StringBuilder();
        for (int i = Math.max(0, pos - 8); i < Math.min(toks.length, pos + 4); i++) {
            if (i == pos) b.append('⟦').append(toks[i]).append('⟧');
            else b.append(toks[i]);
        }
        return b.toString();
    }
}
