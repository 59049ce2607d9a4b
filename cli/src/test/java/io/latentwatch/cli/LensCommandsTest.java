package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LensCommandsTest {
    static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel);
    }

    static final String MODEL = shared("models/stories260K/stories260K.bin").toString();
    static final String TOK = shared("models/stories260K/tok512.bin").toString();

    static String run(Object cmd, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine c = new CommandLine(cmd);
        c.setOut(new PrintWriter(out));
        c.setErr(new PrintWriter(err));
        int rc = c.execute(args);
        assertEquals(0, rc, "exit code; stderr: " + err + " stdout: " + out);
        return out.toString();
    }

    @Test
    void lensTrainThenEvalWritesTheReport(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("p.txt");
        Files.writeString(prompts, "Once upon a time, there was a cat.\nThe dog ran to the park.\n\nLily had a red ball.\n");
        String t = run(new LensCommand(), "train", "--model", MODEL, "--tokenizer", TOK, "--prompts", prompts.toString(),
                "--out", dir.resolve("tuned").toString(), "--steps", "5", "--batch-size", "16");
        assertTrue(t.contains("layer 0"), t);
        assertTrue(Files.exists(dir.resolve("tuned/tuned_lens.safetensors")));
        String e = run(new LensCommand(), "eval", "--model", MODEL, "--tokenizer", TOK, "--prompts", prompts.toString(),
                "--tuned", dir.resolve("tuned").toString(), "--out", dir.resolve("report").toString());
        assertTrue(e.contains("token_identity"), e);
        JsonNode j = new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
        for (String k : new String[]{"logit_lens", "tuned_lens", "token_identity"}) assertEquals(6, j.path("methods").path(k).size(), k);
        assertTrue(Files.exists(dir.resolve("report/report.html")));
    }

    @Test
    void patchscopePrintsJsonAndText() throws Exception {
        String js = run(new PatchscopeCommand(), "--model", MODEL, "--tokenizer", TOK, "--prompt", "Once upon a time", "--layer", "5", "--json");
        JsonNode j = new ObjectMapper().readTree(js);
        assertEquals("blocks.4.hook_resid_post", j.path("target").path("hook").asText());
        assertEquals(5, j.path("top_k").size());
        assertTrue(j.path("top_k").get(0).path("probability").asDouble() > 0);
        String gen = run(new PatchscopeCommand(), "--model", MODEL, "--tokenizer", TOK, "--prompt", "Once upon a time", "--layer", "2",
                "--target-prompt", "Once upon a time", "--max-new-tokens", "4");
        assertFalse(gen.isBlank());
    }

    @Test
    void mapTrainWritesAMap(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("p.txt");
        StringBuilder sb = new StringBuilder();
        String[] s = {"Once upon a time, there was a cat.", "The dog ran to the park.", "Lily had a red ball.", "Tom saw a big tree.",
                "Mom made a cake.", "The bird sang a song.", "Sue and Ben played.", "It was a sunny day."};
        for (String x : s) sb.append(x).append('\n');
        Files.writeString(prompts, sb);
        String out = run(new PatchscopeCommand(), "map", "train", "--source-model", MODEL, "--source-tokenizer", TOK, "--target-model", MODEL,
                "--target-tokenizer", TOK, "--prompts", prompts.toString(), "--source-layer", "2", "--target-layer", "3", "--out", dir.resolve("map").toString());
        assertTrue(out.contains("R^2"), out);
        String js = run(new PatchscopeCommand(), "--model", MODEL, "--tokenizer", TOK, "--prompt", "The cat", "--layer", "2",
                "--map", dir.resolve("map").toString(), "--json");
        JsonNode j = new ObjectMapper().readTree(js);
        assertEquals(3, j.path("target").path("layer").asInt());
        assertTrue(j.path("mapping").asText().startsWith("affine"));
    }

    @Test
    void benchLensReportsLatencyAndGflops() throws Exception {
        String js = run(new BenchLensCommand(), "--model", MODEL, "--tokenizer", TOK, "--iterations", "5", "--warmup", "1", "--matmul-size", "256", "--json");
        JsonNode j = new ObjectMapper().readTree(js);
        for (String k : new String[]{"logit_lens", "tuned_lens", "token_identity"}) {
            assertTrue(j.path("decoders").path(k).path("mean_ms").asDouble() > 0, k);
        }
        assertTrue(j.path("matmul").path("gflops").asDouble() > 0);
    }

    @Test
    void helpDescribesTheCommands() {
        assertTrue(run(new LensCommand(), "--help").contains("tuned lens"));
        assertTrue(run(new PatchscopeCommand(), "--help").contains("hook_resid_pre"));
    }
}
