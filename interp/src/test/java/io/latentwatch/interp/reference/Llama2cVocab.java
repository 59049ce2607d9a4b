package io.latentwatch.interp.reference;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decoding side of a llama2.c tokenizer.bin (README layout: int32 max_token_length, then per token
 * float32 score, int32 length, bytes), used only to read the reference's greedy continuation.
 */
public final class Llama2cVocab {
    private final byte[][] pieces;

    private Llama2cVocab(byte[][] pieces) { this.pieces = pieces; }

    public static Llama2cVocab read(Path file, int vocabSize) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        b.getInt();
        byte[][] p = new byte[vocabSize][];
        for (int i = 0; i < vocabSize; i++) {
            b.getFloat();
            p[i] = new byte[b.getInt()];
            b.get(p[i]);
        }
        return new Llama2cVocab(p);
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
