package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SaeFilesTest {
    @TempDir Path tmp;

    static float[] randn(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    static SparseAutoencoder random(SaeConfig cfg, long seed) {
        Random r = new Random(seed);
        int d = cfg.dIn(), s = cfg.dSae();
        return SparseAutoencoder.of(cfg, new Tensor(randn(r, d * s), d, s), new Tensor(randn(r, s), s),
                new Tensor(randn(r, s * d), s, d), new Tensor(randn(r, d), d));
    }

    @Test
    void saveThenLoadRoundTripsWeightsAndConfig() throws IOException {
        SaeConfig cfg = SaeConfig.topk(8, 20, 4, "blocks.2.hook_resid_post", "stories260K");
        try (SparseAutoencoder sae = random(cfg, 1)) {
            SaeFiles.save(sae, tmp);
            try (SparseAutoencoder back = SaeFiles.load(tmp)) {
                assertEquals(cfg, back.config());
                sae.weights().forEach((k, v) -> assertEquals(0f, v.maxAbsDiff(back.weights().get(k)), k));
            }
            String json = Files.readString(tmp.resolve("cfg.json"));
            // Fields SAELens's loaders read (pre-6 flat layout + 6.x "k").
            for (String key : List.of("\"d_in\"", "\"d_sae\"", "\"hook_name\"", "\"hook_layer\"", "\"architecture\" : \"topk\"",
                    "\"activation_fn_kwargs\"", "\"apply_b_dec_to_input\"", "\"normalize_activations\"", "\"dtype\"", "\"model_name\"", "\"k\" : 4")) {
                assertTrue(json.contains(key), "cfg.json lacks " + key + ":\n" + json);
            }
        }
    }

    @Test
    void float16WeightsAreWidenedOnLoad() throws IOException {
        SaeConfig c = SaeConfig.relu(8, 12, "blocks.0.hook_resid_pre", "m");
        SaeConfig cfg = new SaeConfig(c.dIn(), c.dSae(), c.architecture(), 0, c.hookName(), 0, "m", true, "none", "float16", 128, true, "");
        try (SparseAutoencoder sae = random(cfg, 2)) {
            SaeFiles.save(sae, tmp);
            try (SparseAutoencoder back = SaeFiles.load(tmp)) {
                float err = sae.weights().get("W_enc").maxAbsDiff(back.weights().get("W_enc"));
                assertTrue(err < 5e-3 && err > 0, "F16 rounding expected, got " + err);
            }
        }
    }

    /** A directory as SAELens 6.x writes it: nested metadata, keys sorted, __metadata__ format pt. */
    @Test
    void loadsASaeLens6Directory() throws IOException {
        Files.writeString(tmp.resolve("cfg.json"), """
                {"d_in": 4, "d_sae": 6, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": true,
                 "normalize_activations": "none", "reshape_activations": "none",
                 "metadata": {"model_name": "gpt2-small", "hook_name": "blocks.8.hook_resid_pre", "hook_layer": 8,
                              "hook_head_index": null, "prepend_bos": true, "context_size": 128,
                              "sae_lens_version": "6.5.1", "sae_lens_training_version": "6.5.1"},
                 "architecture": "topk", "k": 2, "rescale_acts_by_decoder_norm": false}""");
        Random r = new Random(3);
        float[] wDec = randn(r, 24), wEnc = randn(r, 24), bDec = randn(r, 4), bEnc = randn(r, 6);
        writeRawSafetensors(tmp.resolve("sae_weights.safetensors"), new String[] {"W_dec", "W_enc", "b_dec", "b_enc"},
                new int[][] {{6, 4}, {4, 6}, {4}, {6}}, new float[][] {wDec, wEnc, bDec, bEnc});
        try (SparseAutoencoder sae = SaeFiles.load(tmp)) {
            assertEquals("blocks.8.hook_resid_pre", sae.config().hookName());
            assertEquals(8, sae.config().hookLayer());
            assertTrue(sae.config().isTopK());
            assertEquals(2, sae.config().k());
            assertArrayEquals(wDec, sae.weights().get("W_dec").data());
            assertArrayEquals(bEnc, sae.weights().get("b_enc").data());
        }
    }

    @Test
    void readsPre6TopKAsStandardWithTopkActivation() throws IOException {
        SaeConfig c = SaeConfig.fromJson("""
                {"architecture": "standard", "d_in": 16, "d_sae": 64, "activation_fn_str": "topk",
                 "activation_fn_kwargs": {"k": 8}, "hook_point": "blocks.3.hook_resid_post", "model_name": "x",
                 "normalize_activations": false}""", "cfg.json");
        assertTrue(c.isTopK());
        assertEquals(8, c.k());
        assertEquals("blocks.3.hook_resid_post", c.hookName());
        assertEquals(3, c.hookLayer());
    }

    @Test
    void clearErrorsForMissingFilesWrongShapesAndUnsupportedConfigs() throws IOException {
        NoSuchFileException e1 = assertThrows(NoSuchFileException.class, () -> SaeFiles.load(tmp));
        assertTrue(e1.getMessage().contains("cfg.json"), e1.getMessage());
        SaeConfig cfg = SaeConfig.relu(4, 6, "blocks.0.hook_resid_post", "m");
        Files.writeString(tmp.resolve("cfg.json"), cfg.toJsonString());
        NoSuchFileException e2 = assertThrows(NoSuchFileException.class, () -> SaeFiles.load(tmp));
        assertTrue(e2.getMessage().contains("sae_weights.safetensors"), e2.getMessage());
        Random r = new Random(4);
        writeRawSafetensors(tmp.resolve("sae_weights.safetensors"), new String[] {"W_dec", "W_enc", "b_dec", "b_enc"},
                new int[][] {{6, 4}, {6, 4}, {4}, {6}}, new float[][] {randn(r, 24), randn(r, 24), randn(r, 4), randn(r, 6)});
        IOException e3 = assertThrows(IOException.class, () -> SaeFiles.load(tmp));
        assertTrue(e3.getMessage().contains("W_enc") && e3.getMessage().contains("[4, 6]"), e3.getMessage());
        IOException e4 = assertThrows(IOException.class, () -> SaeConfig.fromJson(
                "{\"d_in\": 4, \"d_sae\": 6, \"hook_name\": \"h\", \"architecture\": \"jumprelu_skip_transcoder\"}", "x/cfg.json"));
        assertTrue(e4.getMessage().contains("jumprelu_skip_transcoder") && e4.getMessage().contains("'architecture'"), e4.getMessage());
        IOException e5 = assertThrows(IOException.class, () -> SaeConfig.fromJson("{\"d_sae\": 6}", "x/cfg.json"));
        assertTrue(e5.getMessage().contains("d_in"), e5.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SaeConfig.topk(4, 6, 7, "h", "m"));
        try (SparseAutoencoder sae = random(cfg, 5)) {
            IllegalArgumentException e6 = assertThrows(IllegalArgumentException.class, () -> sae.encode(new Tensor(new float[10], 2, 5)));
            assertTrue(e6.getMessage().contains("4"), e6.getMessage());
        }
    }

    @Test
    void baselinePositionBucketsRoundTripAndOldFilesFallBackToTheGlobalQuantiles() throws IOException {
        SaeConfig cfg = SaeConfig.relu(4, 6, "blocks.0.hook_resid_post", "m");
        try (SparseAutoencoder sae = random(cfg, 6)) {
            Random r = new Random(8);
            // 40 "prompts" of 40 positions: positions 0-15 have 40 rows each (below MIN_BUCKET_ROWS), 16-31 and 32-39
            // share power-of-two buckets of 640 and 320 rows. Later positions get larger inputs, hence other errors.
            int prompts = 40, len = 40, n = prompts * len;
            float[] rows = new float[n * 4];
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) {
                pos[i] = i % len;
                for (int j = 0; j < 4; j++) rows[i * 4 + j] = (float) (r.nextGaussian() * (1 + pos[i] / 10.0) + (pos[i] >= 32 ? 3 : 0));
            }
            SaeEvaluation ev = SaeEvaluation.of(sae, rows, 64, 0.5f);
            SaeBaseline b = SaeBaseline.of(ev, pos);
            assertEquals(2, b.positionQuantiles().size(), "buckets " + b.positionQuantiles());
            SaeBaseline.PositionBucket late = b.bucketAt(35);
            assertEquals(32, late.from());
            assertEquals(64, late.to());
            assertEquals(320, late.rows());
            assertEquals("positions 32-63", late.describe());
            float[] lateErr = new float[320];
            for (int i = 0, k = 0; i < n; i++) if (pos[i] >= 32) lateErr[k++] = ev.relativeError()[i];
            Arrays.sort(lateErr);
            assertEquals(SaeBaseline.quantile(lateErr, 0.99), b.errorQuantilesAt(40).get("p99"), 1e-9);
            assertEquals(lateErr[319], b.errorQuantilesAt(33).get("max"), 1e-9);
            assertEquals(b.errorQuantiles(), b.errorQuantilesAt(3), "too few rows at position 3: global quantiles");
            assertNull(b.bucketAt(3));
            assertArrayEquals(new int[] {7, 8}, SaeBaseline.bucketOf(7));
            assertArrayEquals(new int[] {64, 128}, SaeBaseline.bucketOf(100));
            assertEquals(2.0, b.summary().get("position_buckets"));

            b.write(tmp);
            SaeBaseline back = SaeBaseline.read(tmp);
            assertEquals(b.positionQuantiles(), back.positionQuantiles());
            assertEquals(b.errorQuantilesAt(20), back.errorQuantilesAt(20));

            // A baseline file as written before position buckets existed (no error_quantiles_by_position) still reads.
            ObjectMapper json = new ObjectMapper();
            var o = (ObjectNode) json.readTree(tmp.resolve(SaeBaseline.FILE).toFile());
            o.remove("error_quantiles_by_position");
            Files.writeString(tmp.resolve(SaeBaseline.FILE), json.writeValueAsString(o));
            SaeBaseline old = SaeBaseline.read(tmp);
            assertTrue(old.positionQuantiles().isEmpty());
            assertEquals(b.errorQuantiles(), old.errorQuantilesAt(35));

            // Unknown positions (any negative) or none given: no buckets.
            pos[5] = -1;
            assertTrue(SaeBaseline.of(ev, pos).positionQuantiles().isEmpty());
            assertTrue(SaeBaseline.of(ev).positionQuantiles().isEmpty());
            assertThrows(IllegalArgumentException.class, () -> SaeBaseline.of(ev, new int[3]));
        }
    }

    @Test
    void baselineAndLabelsRoundTrip() throws IOException {
        SaeConfig cfg = SaeConfig.relu(4, 6, "blocks.0.hook_resid_post", "m");
        try (SparseAutoencoder sae = random(cfg, 6)) {
            Random r = new Random(7);
            int n = 300;
            float[] rows = randn(r, n * 4);
            SaeEvaluation ev = SaeEvaluation.of(sae, rows, 64, 0.5f);
            SaeBaseline b = SaeBaseline.of(ev);
            b.write(tmp);
            SaeBaseline back = SaeBaseline.read(tmp);
            assertArrayEquals(ev.firingFrequency(), back.firingFrequency());
            assertEquals(n, Arrays.stream(back.histogramCounts()).sum());
            float[] sorted = ev.relativeError().clone();
            Arrays.sort(sorted);
            assertEquals(sorted[(n - 1) / 2] * 0.5 + sorted[n / 2] * 0.5, back.errorQuantiles().get("p50"), 1e-6);
            assertTrue(Files.exists(tmp.resolve("sparsity.safetensors")));

            List<TokenContext> ctx = new ArrayList<>();
            for (int i = 0; i < n; i++) ctx.add(new TokenContext("t" + i, "… ⟦t" + i + "⟧ …", i / 10, i % 10));
            LatentLabels labels = LatentLabels.compute(sae, rows, ctx, 5, (dir, k) -> List.of("up", "down"));
            labels.write(tmp);
            LatentLabels lb = LatentLabels.read(tmp);
            assertEquals(6, lb.latents().size());
            // Top examples really are the most activating rows (checked against a plain encode).
            Tensor z = sae.encode(new Tensor(rows, n, 4));
            for (LatentLabels.Latent l : lb.latents()) {
                float best = 0;
                for (int i = 0; i < n; i++) best = Math.max(best, z.data()[i * 6 + l.id()]);
                if (best > 0) {
                    assertEquals(best, l.top().get(0).activation(), 1e-5);
                    assertTrue(l.label().contains("promotes: 'up'"), l.label());
                }
            }
        }
    }

    static void writeRawSafetensors(Path file, String[] names, int[][] shapes, float[][] data) throws IOException {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        for (int i = 0; i < names.length; i++) {
            long len = data[i].length * 4L;
            h.append(",\"").append(names[i]).append("\":{\"dtype\":\"F32\",\"shape\":").append(Arrays.toString(shapes[i]).replace(" ", ""))
             .append(",\"data_offsets\":[").append(off).append(",").append(off + len).append("]}");
            off += len;
        }
        h.append("}");
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate((int) (8 + hb.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(hb.length).put(hb);
        for (float[] d : data) for (float v : d) bb.putFloat(v);
        Files.write(file, bb.array());
    }
}
