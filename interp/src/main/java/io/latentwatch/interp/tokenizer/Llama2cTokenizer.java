package io.latentwatch.interp.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's {@code tokenizer.bin} (a SentencePiece BPE vocabulary exported by Karpathy's tokenizer.py):
 * int32 max_token_length, then per token a float32 merge score, an int32 byte length and the bytes.
 * Encoding follows run.c's {@code encode}: optional BOS, a dummy-prefix " " for non-empty text, one
 * token per UTF-8 character (unknown characters fall back to their bytes, id = byte + 3), then
 * repeatedly merge the adjacent pair whose concatenation is in the vocabulary with the highest score.
 * Decoding follows run.c's {@code decode}: a piece after BOS drops its leading space, and "<0xNN>"
 * pieces are raw bytes.
 */
public final class Llama2cTokenizer implements Tokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;
    private static final int BYTE_OFFSET = 3;

    private final byte[][] pieces;
    private final String[] strings;
    private final float[] scores;
    private final Map<String, Integer> lookup = new HashMap<>();

    private Llama2cTokenizer(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.strings = new String[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            strings[i] = new String(pieces[i], StandardCharsets.UTF_8);
            // run.c's sorted-vocab bsearch keys on bytes; the first id wins for (rare) duplicates.
            lookup.putIfAbsent(key(pieces[i]), i);
        }
    }

    /** Loads tokenizer.bin for a model with {@code vocabSize} tokens (the header does not store the count). */
    public static Llama2cTokenizer load(Path file, int vocabSize) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 4) throw new IOException(file + ": truncated llama2.c tokenizer (no header)");
        b.getInt(); // max_token_length
        byte[][] pieces = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            if (b.remaining() < 8) {
                throw new IOException(file + ": truncated llama2.c tokenizer: token " + i + " of " + vocabSize + " missing at byte " + b.position());
            }
            scores[i] = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) {
                throw new IOException(file + ": corrupt llama2.c tokenizer: token " + i + " claims " + len + " bytes at byte "
                        + b.position() + " (" + b.remaining() + " remain)");
            }
            pieces[i] = new byte[len];
            b.get(pieces[i]);
        }
        if (b.remaining() != 0) {
            throw new IOException(file + ": " + b.remaining() + " bytes left after " + vocabSize
                    + " tokens: the tokenizer does not match the model's vocabulary size");
        }
        return new Llama2cTokenizer(pieces, scores);
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1); // byte-exact key
    }

    private int find(byte[] bytes) {
        Integer id = lookup.get(key(bytes));
        return id == null ? -1 : id;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        List<Integer> toks = new ArrayList<>();
        if (addBos) toks.add(BOS);
        if (!text.isEmpty()) {
            int space = find(new byte[]{' '});
            if (space < 0) throw new IllegalStateException("tokenizer has no ' ' token for the dummy prefix");
            toks.add(space);
        }
        text.codePoints().forEach(cp -> {
            byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            int id = find(utf8);
            if (id >= 0) {
                toks.add(id);
            } else {
                for (byte by : utf8) toks.add((by & 0xff) + BYTE_OFFSET);
            }
        });
        // Greedy BPE: merge the best-scoring adjacent pair until none is in the vocabulary.
        // (The dummy-prefix token may merge with the first character, as in run.c.)
        int from = addBos ? 1 : 0;
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestId = -1, bestIdx = -1;
            for (int i = from; i < toks.size() - 1; i++) {
                byte[] a = pieces[toks.get(i)], c = pieces[toks.get(i + 1)];
                byte[] cat = new byte[a.length + c.length];
                System.arraycopy(a, 0, cat, 0, a.length);
                System.arraycopy(c, 0, cat, a.length, c.length);
                int id = find(cat);
                if (id >= 0 && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) break;
            toks.set(bestIdx, bestId);
            toks.remove(bestIdx + 1);
        }
        return toks.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(pieceBytes(prev, id));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The bytes run.c's decode(prev, token) prints for one token. */
    public byte[] pieceBytes(int prev, int id) {
        checkId(id);
        if (id == BOS || id == EOS) return new byte[0];
        byte[] p = pieces[id];
        if (prev == BOS && p.length > 0 && p[0] == ' ') p = Arrays.copyOfRange(p, 1, p.length);
        String s = strings[id];
        if (s.length() == 6 && s.startsWith("<0x") && s.endsWith(">")) {
            try {
                return new byte[]{(byte) Integer.parseInt(s.substring(3, 5), 16)};
            } catch (NumberFormatException ignored) {
                // a literal piece that merely looks like a byte token
            }
        }
        return p;
    }

    @Override
    public String tokenString(int id) {
        checkId(id);
        return strings[id];
    }

    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + pieces.length + ")");
        }
    }

    @Override
    public int bosId() { return BOS; }

    @Override
    public int eosId() { return EOS; }

    @Override
    public int vocabSize() { return pieces.length; }
}
