package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads llama2.c checkpoints (Karpathy's export.py):
 * <ul>
 * <li>v0 (legacy): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative
 *     vocab_size means an unshared classifier follows), then float32 tensors: token embedding, rms_att, wq, wk,
 *     wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag, [classifier].</li>
 * <li>v1: uint32 magic 0x616b3432 ("ak42"), int32 version 1, the same 7 ints, a uint8 shared-classifier flag,
 *     zero padding to 256 bytes, then float32: rms_att, rms_ffn, rms_final, token embedding, wq, wk, wv, wo,
 *     w1, w2, w3, [classifier].</li>
 * <li>v2: as v1 plus an int32 group size after the flag; norms in float32, then every matrix as Q8_0
 *     (symmetric int8 in groups), then all the groups' float32 scales in the same order. Dequantised here.</li>
 * </ul>
 * Matrices are stored [out, in]; q/k rows are permuted from llama2.c's adjacent-pair RoPE to rotate-half.
 */
public final class Llama2cLoader {
    public static final int MAGIC = 0x616b3432;

    private Llama2cLoader() {}

    /** True when the file starts with the versioned-format magic. */
    public static boolean hasMagic(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() < 4) return false;
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return b.flip().getInt() == MAGIC;
        }
    }

    public static ModelWeights load(Path file) throws IOException {
        ByteBuffer buf;
        long size;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + ": llama2.c checkpoints over 2 GiB are not supported (" + size + " bytes)");
            }
            if (size < 28) throw new IOException(file + ": truncated llama2.c checkpoint (" + size + " bytes, header needs 28)");
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN);
        }
        int version = 0;
        int groupSize = 0;
        boolean shared;
        int[] h = new int[7];
        if (buf.getInt(0) == MAGIC) {
            version = buf.getInt(4);
            if (version != 1 && version != 2) {
                throw new IOException(file + ": unsupported llama2.c checkpoint version " + version + " (supported: 0, 1, 2)");
            }
            if (size < 256) throw new IOException(file + ": truncated llama2.c v" + version + " header (" + size + " bytes of 256)");
            for (int i = 0; i < 7; i++) h[i] = buf.getInt(8 + 4 * i);
            shared = buf.get(36) != 0;
            if (version == 2) groupSize = buf.getInt(37);
            buf.position(256);
        } else {
            for (int i = 0; i < 7; i++) h[i] = buf.getInt(4 * i);
            shared = h[5] > 0;
            h[5] = Math.abs(h[5]);
            buf.position(28);
        }
        int dim = h[0], hidden = h[1], nLayers = h[2], nHeads = h[3], nKv = h[4], vocab = h[5], seqLen = h[6];
        if (dim <= 0 || hidden <= 0 || nLayers <= 0 || nHeads <= 0 || nKv <= 0 || vocab <= 0 || seqLen <= 0
                || dim % nHeads != 0 || dim > 1 << 16 || nLayers > 1024 || vocab > 1 << 22) {
            throw new IOException(file + ": not a llama2.c checkpoint (implausible header dim=" + dim + " hidden_dim=" + hidden
                    + " n_layers=" + nLayers + " n_heads=" + nHeads + " n_kv_heads=" + nKv + " vocab_size=" + vocab
                    + " seq_len=" + seqLen + ")");
        }
        // llama2.c's tokenizer.bin uses BOS 1 / EOS 2; the checkpoint itself does not record them.
        ModelConfig cfg = ModelConfig.llama(dim, nLayers, nHeads, nKv, hidden, vocab, seqLen, 1e-5f, 10000f, shared, 1, 2);
        int dh = dim / nHeads;
        int kvDim = nKv * dh;
        Reader r = new Reader(file, buf, version, groupSize);
        Tensor emb;
        Tensor[] rmsAtt, rmsFfn, wq, wk, wv, wo, w1, w2, w3;
        Tensor rmsFinal, cls = null;
        if (version == 0) {
            emb = r.f32("token_embedding_table", vocab, dim);
            rmsAtt = r.f32Layers("rms_att_weight", nLayers, dim);
            wq = r.f32Layers("wq", nLayers, dim, dim);
            wk = r.f32Layers("wk", nLayers, kvDim, dim);
            wv = r.f32Layers("wv", nLayers, kvDim, dim);
            wo = r.f32Layers("wo", nLayers, dim, dim);
            rmsFfn = r.f32Layers("rms_ffn_weight", nLayers, dim);
            w1 = r.f32Layers("w1", nLayers, hidden, dim);
            w2 = r.f32Layers("w2", nLayers, dim, hidden);
            w3 = r.f32Layers("w3", nLayers, hidden, dim);
            rmsFinal = r.f32("rms_final_weight", dim);
            r.skipF32("freq_cis_real", (long) seqLen * dh / 2);
            r.skipF32("freq_cis_imag", (long) seqLen * dh / 2);
            if (!shared) cls = r.f32("wcls", vocab, dim);
        } else {
            rmsAtt = r.f32Layers("rms_att_weight", nLayers, dim);
            rmsFfn = r.f32Layers("rms_ffn_weight", nLayers, dim);
            rmsFinal = r.f32("rms_final_weight", dim);
            emb = r.mat("token_embedding_table", vocab, dim);
            wq = r.matLayers("wq", nLayers, dim, dim);
            wk = r.matLayers("wk", nLayers, kvDim, dim);
            wv = r.matLayers("wv", nLayers, kvDim, dim);
            wo = r.matLayers("wo", nLayers, dim, dim);
            w1 = r.matLayers("w1", nLayers, hidden, dim);
            w2 = r.matLayers("w2", nLayers, dim, hidden);
            w3 = r.matLayers("w3", nLayers, hidden, dim);
            if (!shared) cls = r.mat("wcls", vocab, dim);
            r.finishQuantized();
        }
        if (buf.remaining() != 0) {
            throw new IOException(file + ": " + buf.remaining() + " bytes left after the last tensor of a llama2.c v" + version
                    + " checkpoint with dim=" + dim + " hidden_dim=" + hidden + " n_layers=" + nLayers + " n_heads=" + nHeads
                    + " n_kv_heads=" + nKv + " vocab_size=" + vocab + (shared ? "" : " (unshared classifier)") + " seq_len="
                    + seqLen + ": the header does not describe this file");
        }
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            Tensor q = ModelWeights.adjacentToRotateHalf(wq[l], nHeads, dh);
            Tensor k = ModelWeights.adjacentToRotateHalf(wk[l], nKv, dh);
            layers.add(new LayerWeights(rmsAtt[l], null, ModelWeights.transpose(q), ModelWeights.transpose(k),
                    ModelWeights.transpose(wv[l]), null, null, null, ModelWeights.transpose(wo[l]), null, rmsFfn[l], null,
                    ModelWeights.transpose(w1[l]), ModelWeights.transpose(w3[l]), null, ModelWeights.transpose(w2[l]), null));
        }
        Tensor wU = ModelWeights.transpose(shared ? emb : cls);
        return new ModelWeights(cfg, emb, null, layers, rmsFinal, null, wU, null).validate();
    }

    /** Sequential reader with truncation checks; for v2 it queues Q8_0 matrices until their scales are read. */
    private static final class Reader {
        private final Path file;
        private final ByteBuffer buf;
        private final int version;
        private final int groupSize;
        private final List<Object[]> pending = new ArrayList<>(); // {name, byte[] q, Tensor target}

        Reader(Path file, ByteBuffer buf, int version, int groupSize) {
            this.file = file;
            this.buf = buf;
            this.version = version;
            this.groupSize = groupSize;
        }

        private void need(String name, long bytes) throws IOException {
            if (buf.remaining() < bytes) {
                throw new IOException(file + ": truncated llama2.c checkpoint: tensor '" + name + "' needs " + bytes
                        + " bytes at offset " + buf.position() + " but only " + buf.remaining() + " remain");
            }
        }

        Tensor f32(String name, int... shape) throws IOException {
            int n = (int) Tensor.numel(shape);
            need(name, 4L * n);
            float[] data = new float[n];
            FloatBuffer fb = buf.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            fb.get(data);
            buf.position(buf.position() + 4 * n);
            return new Tensor(data, shape);
        }

        Tensor[] f32Layers(String name, int layers, int... shape) throws IOException {
            Tensor[] out = new Tensor[layers];
            for (int l = 0; l < layers; l++) out[l] = f32(name + "[" + l + "]", shape);
            return out;
        }

        void skipF32(String name, long n) throws IOException {
            need(name, 4 * n);
            buf.position((int) (buf.position() + 4 * n));
        }

        /** A matrix: float32 in v1; in v2 int8 now and scales later (filled in by finishQuantized). */
        Tensor mat(String name, int... shape) throws IOException {
            if (version != 2) return f32(name, shape);
            int n = (int) Tensor.numel(shape);
            if (groupSize <= 0 || n % groupSize != 0) {
                throw new IOException(file + ": tensor '" + name + "' has " + n + " values, not a multiple of the Q8_0 group size " + groupSize);
            }
            need(name, n);
            byte[] q = new byte[n];
            buf.get(q);
            Tensor t = new Tensor(new float[n], shape);
            pending.add(new Object[]{name, q, t});
            return t;
        }

        Tensor[] matLayers(String name, int layers, int... shape) throws IOException {
            Tensor[] out = new Tensor[layers];
            for (int l = 0; l < layers; l++) out[l] = mat(name + "[" + l + "]", shape);
            return out;
        }

        void finishQuantized() throws IOException {
            for (Object[] p : pending) {
                byte[] q = (byte[]) p[1];
                Tensor t = (Tensor) p[2];
                int groups = q.length / groupSize;
                need(p[0] + " scales", 4L * groups);
                float[] out = t.data();
                for (int g = 0; g < groups; g++) {
                    float s = buf.getFloat();
                    for (int i = g * groupSize; i < (g + 1) * groupSize; i++) out[i] = q[i] * s;
                }
            }
        }
    }
}
