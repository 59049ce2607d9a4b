package io.latentwatch.interp.circuits;

import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a layer's {@code blocks.L.attn.hook_z} [pos, n_heads, d_head] into one code per head and
 * position: the head's output in the residual stream, z_h W_O[h] (TransformerLens's hook_result),
 * encoded by the circuit SAE and reduced to its argmax latent ({@link CodeTable#SILENT} when none fires).
 *
 * <p>Why z W_O rather than z: one SAE is shared by every head (O'Neill & Bui train one small SAE per
 * task), and raw z of different heads live in unrelated d_head bases, so a latent would mean
 * different things on different heads. z_h W_O[h] puts every head in the same d_model space where
 * a direction means the same thing whichever head writes it. The monitor receives hook_z samples,
 * so the W_O slices travel with the SAE ({@value #PROJECTION}) and this class is all it needs.
 */
public final class HeadCoder implements AutoCloseable {
    public static final String SAE_DIR = "sae";
    public static final String PROJECTION = "head_projection.safetensors";

    private final SparseAutoencoder sae;
    private final float[][] wO;   // per layer [n_heads*d_head, d_model]
    private final int nHeads, dHead, dModel;

    public HeadCoder(SparseAutoencoder sae, float[][] wOByLayer, int nHeads, int dHead, int dModel) {
        if (sae.config().dIn() != dModel) {
            throw new IllegalArgumentException("circuit SAE d_in " + sae.config().dIn() + " != d_model " + dModel);
        }
        for (int l = 0; l < wOByLayer.length; l++) {
            if (wOByLayer[l].length != nHeads * dHead * dModel) {
                throw new IllegalArgumentException("W_O of layer " + l + " has " + wOByLayer[l].length + " floats, expected "
                        + nHeads + "*" + dHead + "*" + dModel);
            }
        }
        this.sae = sae;
        this.wO = wOByLayer;
        this.nHeads = nHeads;
        this.dHead = dHead;
        this.dModel = dModel;
    }

    public SparseAutoencoder sae() { return sae; }
    public int layers() { return wO.length; }
    public int heads() { return nHeads; }

    /** Per-head outputs z_h W_O[h] of one layer: [pos, n_heads, d_model] row-major. */
    public float[] project(int layer, Tensor hookZ) {
        int[] s = hookZ.shape();
        if (s.length != 3 || s[1] != nHeads || s[2] != dHead) {
            throw new IllegalArgumentException("hook_z of layer " + layer + " must be [pos, " + nHeads + ", " + dHead + "], got "
                    + Arrays.toString(s));
        }
        if (layer < 0 || layer >= wO.length) throw new IllegalArgumentException("layer " + layer + " outside 0.." + (wO.length - 1));
        return CircuitDiscovery.projectWith(wO[layer], hookZ.data(), s[0], nHeads, dHead, dModel);
    }

    /** Argmax latent of each row of [rows, d_model]; SILENT where no latent is active. */
    public int[] codes(float[] rows) {
        int n = rows.length / dModel;
        int[] out = new int[n];
        int chunk = 4096;
        for (int start = 0; start < n; start += chunk) {
            int m = Math.min(chunk, n - start);
            float[] part = Arrays.copyOfRange(rows, start * dModel, (start + m) * dModel);
            float[] z = sae.encode(new Tensor(part, m, dModel)).data();
            int s = sae.config().dSae();
            for (int r = 0; r < m; r++) {
                int best = CodeTable.SILENT;
                float bv = 0f;
                for (int k = 0; k < s; k++) if (z[r * s + k] > bv) { bv = z[r * s + k]; best = k; }
                out[start + r] = best;
            }
        }
        return out;
    }

    /** Codes [pos][head] of one layer's hook_z [pos, n_heads, d_head]: what the monitor calls per sample. */
    public int[][] codes(int layer, Tensor hookZ) {
        int[] flat = codes(project(layer, hookZ));
        int pos = hookZ.dim(0);
        int[][] out = new int[pos][nHeads];
        for (int p = 0; p < pos; p++) System.arraycopy(flat, p * nHeads, out[p], 0, nHeads);
        return out;
    }

    /** Writes {@code dir/sae} (SAELens files) and {@code dir/head_projection.safetensors} (blocks.L.attn.W_O). */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        SaeFiles.save(sae, dir.resolve(SAE_DIR));
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (int l = 0; l < wO.length; l++) t.put("blocks." + l + ".attn.W_O", new Tensor(wO[l], nHeads * dHead, dModel));
        SafeTensors.write(dir.resolve(PROJECTION), t, Map.of("n_heads", Integer.toString(nHeads), "d_head", Integer.toString(dHead),
                "layers", Integer.toString(wO.length)), DType.F32);
    }

    public static HeadCoder load(Path dir) throws IOException {
        SparseAutoencoder sae = SaeFiles.load(dir.resolve(SAE_DIR));
        Path p = dir.resolve(PROJECTION);
        SafeTensors st = SafeTensors.open(p);
        {
            Map<String, String> meta = st.metadata();
            int nHeads = Integer.parseInt(require(meta, "n_heads", p));
            int dHead = Integer.parseInt(require(meta, "d_head", p));
            int layers = Integer.parseInt(require(meta, "layers", p));
            int d = sae.config().dIn();
            float[][] w = new float[layers][];
            for (int l = 0; l < layers; l++) w[l] = st.get("blocks." + l + ".attn.W_O", nHeads * dHead, d).data();
            return new HeadCoder(sae, w, nHeads, dHead, d);
        }
    }

    private static String require(Map<String, String> meta, String key, Path p) throws IOException {
        String v = meta.get(key);
        if (v == null) throw new IOException(p + ": metadata '" + key + "' missing");
        return v;
    }

    @Override public void close() { sae.close(); }
}
