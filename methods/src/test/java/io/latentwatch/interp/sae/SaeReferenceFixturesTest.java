package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.Npy;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every architecture and file format against the reference implementation: the fixtures under
 * {@code src/test/resources/sae-fixtures} hold small SAEs and the latents and reconstructions that
 * SAELens (or, for sparsify, a transcription of sparsify's forward; each fixture's
 * {@code reference.txt} says which) computed for the same inputs ({@code make_fixtures.py} made
 * them). latentwatch must agree to 1e-5 relative.
 */
class SaeReferenceFixturesTest {
    static final double REL = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path fixtures() throws URISyntaxException {
        return Path.of(SaeReferenceFixturesTest.class.getResource("/sae-fixtures/fixtures.json").toURI()).getParent();
    }

    record Fixture(String name, Path dir, SaeLoadOptions options) {}

    static List<Fixture> list(Path root) throws IOException {
        JsonNode m = JSON.readTree(Files.readString(root.resolve("fixtures.json")));
        List<Fixture> out = new ArrayList<>();
        for (JsonNode f : m.get("fixtures")) {
            JsonNode o = f.path("options");
            out.add(new Fixture(f.get("name").asText(), root.resolve(f.get("path").asText()),
                    new SaeLoadOptions(o.path("hook").asText(null), o.has("norm_scaling_factor") ? (float) o.get("norm_scaling_factor").asDouble() : null,
                            o.path("hookpoint").asText(null))));
        }
        return out;
    }

    @Test
    void everyFixtureEncodesAndDecodesToTheReference() throws Exception {
        Path root = fixtures();
        Tensor x = Npy.read(root.resolve("inputs.npy"));
        List<Fixture> all = list(root);
        assertEquals(12, all.size(), "fixtures.json lists every architecture and format");
        for (Fixture f : all) {
            try (SparseAutoencoder sae = SaeFiles.load(f.dir(), f.options())) {
                assertClose(f.name() + " latents", Npy.read(f.dir().resolve("expected_latents.npy")), sae.encode(x));
                assertClose(f.name() + " reconstruction", Npy.read(f.dir().resolve("expected_reconstruction.npy")), sae.reconstruct(x));
                // The monitor's path (one pass, sparse TopK decode) gives the same numbers.
                SaeProjection p = SaeProjection.of(sae, x.data(), x.dim(0), sae.config().dSae());
                Tensor z = Npy.read(f.dir().resolve("expected_latents.npy"));
                for (int r = 0; r < x.dim(0); r++) {
                    int active = 0;
                    for (int j = 0; j < z.dim(1); j++) if (z.data()[r * z.dim(1) + j] > 0) active++;
                    assertEquals(active, p.l0(r), f.name() + " row " + r + " L0");
                    for (int j = 0; j < p.width() && p.value(r, j) > 0; j++) {
                        float want = z.data()[r * z.dim(1) + p.id(r, j)];
                        assertTrue(Math.abs(p.value(r, j) - want) <= REL * Math.max(1, Math.abs(want)),
                                f.name() + " projection row " + r + " latent " + p.id(r, j) + ": " + p.value(r, j) + " vs " + want);
                    }
                }
            }
        }
    }

    @Test
    void hooksAreMappedToTransformerLensNames() throws Exception {
        Path root = fixtures();
        assertEquals("blocks.3.hook_resid_post", SaeFiles.read(root.resolve("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20"), SaeLoadOptions.DEFAULTS).config().hookName());
        assertEquals("blocks.2.hook_resid_post", SaeFiles.read(root.resolve("sparsify-single/layers.2"), SaeLoadOptions.DEFAULTS).config().hookName());
        assertEquals("blocks.1.hook_mlp_out", SaeFiles.read(root.resolve("sparsify-multi"), new SaeLoadOptions(null, null, "layers.1.mlp")).config().hookName());
        assertEquals("blocks.2.hook_resid_post", SaeFiles.read(root.resolve("llama-scope/Llama3_1-8B-Base-L2R-8x"), SaeLoadOptions.DEFAULTS).config().hookName());
        assertEquals("blocks.7.hook_mlp_out", SaeFiles.read(root.resolve("sparsify-single/layers.2"), new SaeLoadOptions("blocks.7.hook_mlp_out", null, null)).config().hookName());
        IOException multi = Assertions.assertThrows(IOException.class, () -> SaeFiles.read(root.resolve("sparsify-multi"), SaeLoadOptions.DEFAULTS));
        assertTrue(multi.getMessage().contains("--hookpoint") && multi.getMessage().contains("layers.0"), multi.getMessage());
    }

    /** SAELens files that latentwatch saves (every architecture) read back to the same SAE. */
    @Test
    void savedSaesRoundTrip(@TempDir Path tmp) throws Exception {
        Path root = fixtures();
        Tensor x = Npy.read(root.resolve("inputs.npy"));
        for (Fixture f : list(root)) {
            Path out = tmp.resolve(f.name());
            try (SparseAutoencoder sae = SaeFiles.load(f.dir(), f.options())) {
                SaeFiles.save(sae, out);
                try (SparseAutoencoder back = SaeFiles.load(out)) {
                    assertEquals(SaeFormat.SAELENS, SaeFormat.detect(out));
                    assertArrayEquals(sae.encode(x).data(), back.encode(x).data(), 0f, f.name());
                    assertArrayEquals(sae.reconstruct(x).data(), back.reconstruct(x).data(), 0f, f.name());
                }
            }
        }
    }

    static void assertClose(String what, Tensor want, Tensor got) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        float[] a = want.data(), b = got.data();
        double scale = 0;
        for (float v : a) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) {
            double tol = REL * Math.max(1.0, Math.max(Math.abs(a[i]), scale));
            if (Math.abs(a[i] - b[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " (row " + i / want.dim(-1) + ") is " + b[i] + ", the reference says " + a[i]
                        + " (tolerance " + tol + "); first values " + Arrays.toString(Arrays.copyOf(b, 6)));
            }
        }
    }
}
