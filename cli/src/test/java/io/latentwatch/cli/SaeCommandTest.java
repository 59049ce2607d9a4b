package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.Npy;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code latentwatch sae encode} on every reference fixture (interp's {@code sae-fixtures}: SAEs of
 * every architecture and format with SAELens's latents and reconstructions) matches the reference to
 * 1e-5 relative; {@code sae inspect} explains each.
 */
class SaeCommandTest {
    static final Path FIXTURES = Path.of("..", "methods", "src", "test", "resources", "sae-fixtures");
    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(o));
        cl.setErr(new PrintWriter(e));
        PrintStream old = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            int code = cl.execute(args);
            return new Run(code, captured + o.toString(), e.toString());
        } finally {
            System.setOut(old);
        }
    }

    static List<String> options(JsonNode f) {
        List<String> a = new ArrayList<>();
        JsonNode o = f.path("options");
        if (o.has("hookpoint")) a.addAll(List.of("--hookpoint", o.get("hookpoint").asText()));
        if (o.has("hook")) a.addAll(List.of("--hook", o.get("hook").asText()));
        return a;
    }

    @Test
    void encodeMatchesTheReferenceOnEveryFixtureAndInspectExplainsIt() throws Exception {
        JsonNode m = new ObjectMapper().readTree(Files.readString(FIXTURES.resolve("fixtures.json")));
        Path inputs = FIXTURES.resolve("inputs.npy");
        int n = 0;
        for (JsonNode f : m.get("fixtures")) {
            Path dir = FIXTURES.resolve(f.get("path").asText());
            for (boolean decode : new boolean[] {false, true}) {
                Path out = tmp.resolve(f.get("name").asText() + (decode ? "-xhat.npy" : "-z.npy"));
                List<String> args = new ArrayList<>(List.of("sae", "encode", "--sae", dir.toString(), "--input", inputs.toString(),
                        "--out", out.toString()));
                if (decode) args.add("--decode");
                args.addAll(options(f));
                Run r = run(args.toArray(String[]::new));
                assertEquals(0, r.code(), f + ": " + r.err());
                Tensor want = Npy.read(dir.resolve(decode ? "expected_reconstruction.npy" : "expected_latents.npy"));
                Tensor got = Npy.read(out);
                assertArrayEquals(want.shape(), got.shape());
                double scale = 0;
                for (float v : want.data()) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < want.size(); i++) {
                    double tol = 1e-5 * Math.max(1, scale);
                    assertTrue(Math.abs(want.data()[i] - got.data()[i]) <= tol,
                            f.get("name").asText() + (decode ? " reconstruction" : " latents") + " element " + i + ": " + got.data()[i]
                                    + " vs reference " + want.data()[i]);
                }
            }
            List<String> args = new ArrayList<>(List.of("sae", "inspect", dir.toString()));
            args.addAll(options(f));
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            for (String s : new String[] {"format", "architecture", "d_in", "16", "d_sae", "32", "hook", "normalisation", "in the monitor"}) {
                assertTrue(r.out().contains(s), f.get("name") + " inspect lacks '" + s + "':\n" + r.out());
            }
            n++;
        }
        assertEquals(12, n);
    }

    @Test
    void helpNamesTheSubcommandsAndFormats() {
        StringWriter o = new StringWriter();
        CommandLine cl = new CommandLine(new SaeCommand());
        cl.setOut(new PrintWriter(o, true));
        assertEquals(0, cl.execute("--help"));
        assertTrue(o.toString().contains("inspect") && o.toString().contains("encode") && o.toString().contains("sparsify"), o.toString());
        StringWriter e = new StringWriter();
        CommandLine enc = new CommandLine(new SaeCommand());
        enc.setOut(new PrintWriter(e, true));
        assertEquals(0, enc.execute("encode", "--help"));
        assertTrue(e.toString().contains("--decode") && e.toString().contains("--hookpoint") && e.toString().contains("--norm-scaling-factor"), e.toString());
    }

    @Test
    void refusalsSayWhatIsWrongAndWhatWouldBeNeeded() throws Exception {
        // A multi-hook sparsify directory without --hookpoint.
        Run multi = run("sae", "inspect", FIXTURES.resolve("sparsify-multi").toString());
        assertNotEquals(0, multi.code());
        assertTrue(multi.err().contains("--hookpoint") && multi.err().contains("layers.1.mlp"), multi.err());
        // expected_average_only_in without its factor.
        Path dir = tmp.resolve("avg");
        Files.createDirectories(dir);
        Path src = FIXTURES.resolve("saelens-standard");
        Files.copy(src.resolve("sae_weights.safetensors"), dir.resolve("sae_weights.safetensors"));
        Files.writeString(dir.resolve("cfg.json"), Files.readString(src.resolve("cfg.json"))
                .replace("\"normalize_activations\": \"none\"", "\"normalize_activations\": \"expected_average_only_in\""));
        Run avg = run("sae", "inspect", dir.toString());
        assertNotEquals(0, avg.code());
        assertTrue(avg.err().contains("expected_average_only_in") && avg.err().contains("--norm-scaling-factor"), avg.err());
        Run folded = run("sae", "inspect", dir.toString(), "--norm-scaling-factor", "2.0");
        assertEquals(0, folded.code(), folded.err());
        assertTrue(folded.out().contains("factor 2.0 folded"), folded.out());
        // Input of the wrong width.
        Path bad = tmp.resolve("bad.npy");
        Npy.write(bad, new Tensor(new float[10], 2, 5));
        Run wrong = run("sae", "encode", "--sae", src.toString(), "--input", bad.toString(), "--out", tmp.resolve("z.npy").toString());
        assertNotEquals(0, wrong.code());
        assertTrue(wrong.err().contains("d_in = 16"), wrong.err());
    }
}
