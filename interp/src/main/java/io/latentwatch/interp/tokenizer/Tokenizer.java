package io.latentwatch.interp.tokenizer;

/** Text <-> token ids for one model. Implementations are thread-safe for encode/decode. */
public interface Tokenizer extends AutoCloseable {

    /** Token ids of {@code text}; with {@code addBos} the model's BOS token comes first (when it has one). */
    int[] encode(String text, boolean addBos);

    /** Text of a token sequence as the model's reference decoder would print it (BOS/EOS produce no text). */
    String decode(int[] ids);

    /** The vocabulary entry of one token, without any decoding (e.g. "<0x0A>", " the", "Ġthe"). */
    String tokenString(int id);

    /** BOS id, or -1 when there is none. */
    int bosId();

    /** EOS id, or -1 when there is none. */
    int eosId();

    int vocabSize();

    @Override
    default void close() {}
}
