package io.latentwatch.interp.reference;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
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
 * The reference's own llama2.c tokenizer.bin reader (README layout: int32 max_token_length, then per
 * token float32 score, int32 length, bytes), written from the README's algorithm description.
 */
public final class Llama2cVocab {
    private final byte[][] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();

    private Llama2cVocab(byte[][] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(key(pieces[i]), i);
    }

    /** Byte strings as ISO-8859-1 Java strings: one char per byte, so any byte sequence is a key. */
    private static String key(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }

    /**
     * The README's encoder: BOS, a dummy-prefix " " for non-empty text, one token per UTF-8
     * character (its bytes + 3 when the character is not in the vocabulary), then repeatedly merge
     * the adjacent pair whose concatenation has the highest score (leftmost on ties).
     */
    public int[] encode(String text, boolean bos) {
        List<Integer> t = new ArrayList<>();
        if (bos) t.add(1);
        if (!text.isEmpty()) {
            List<Integer> s = new ArrayList<>();
            s.add(ids.get(" "));
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < utf8.length; ) {
                int len = 1;
                while (i + len < utf8.length && (utf8[i + len] & 0xC0) == 0x80 && len < 4) len++;
                byte[] ch = Arrays.copyOfRange(utf8, i, i + len);
                Integer id = ids.get(key(ch));
                if (id != null) s.add(id);
                else for (byte b : ch) s.add((b & 0xff) + 3);
                i += len;
            }
            while (true) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1, bestId = -1;
                for (int i = 0; i + 1 < s.size(); i++) {
                    Integer id = ids.get(key(pieces[s.get(i)]) + key(pieces[s.get(i + 1)]));
                    if (id != null && scores[id] > best) { best = scores[id]; at = i; bestId = id; }
                }
                if (at < 0) break;
                s.set(at, bestId);
                s.remove(at + 1);
            }
            t.addAll(s);
        }
        return t.stream().mapToInt(Integer::intValue).toArray();
    }

    public static Llama2cVocab read(Path file, int vocabSize) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        b.getInt();
        byte[][] p = new byte[vocabSize][];
        float[] sc = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            sc[i] = b.getFloat();
            p[i] = new byte[b.getInt()];
            b.get(p[i]);
        }
        return new Llama2cVocab(p, sc);
    }

    /** Decodes ids (BOS excluded): a piece right after BOS drops its leading space; <0xNN> is a raw byte. */
    public String decode(int[] ids, boolean afterBos) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = afterBos ? 1 : -1;
        for (int id : ids) {
            String s = new String(pieces[id], StandardCharsets.UTF_8);
            if (prev == 1 && s.startsWith(" ")) s = s.substring(1);
            if (s.length() == 6 && s.startsWith("<0x") && s.endsWith(">")) out.write(Integer.parseInt(s.substring(3, 5), 16));
            else out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
