package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.interp.model.HookedTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InterpCommandsTest {

    static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel);
    }

    static final Path MODEL = shared("models/stories260K/stories260K.bin");
    static final Path TOK = shared("models/stories260K/tok512.bin");

    record Run(int code, String out, String err) {}

    static Run run(Object command, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void generateGreedyFromAnEmptyPromptPrintsAStory() {
        Run r = run(new GenerateCommand(), "--model", MODEL.toString(), "--tokenizer", TOK.toString(), "--prompt", "",
                "--max-new-tokens", "60", "--temperature", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time"), r.out());
    }

    @Test
    void generateContinuesAPromptAndPrintsOnlyTheContinuation() {
        Run r = run(new GenerateCommand(), "--model", MODEL.toString(), "--tokenizer", TOK.toString(), "--prompt",
                "Lily wanted a cat", "--max-new-tokens", "20", "--temperature", "0.8", "--top-k", "20", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("Lily wanted a cat"), r.out());
        assertTrue(r.out().strip().length() > 5, r.out());
    }

    @Test
    void inspectJsonHasTokensHooksAndLastLogitsOfTheRuntime() throws Exception {
        Run r = run(new InspectCommand(), "--model", MODEL.toString(), "--tokenizer", TOK.toString(), "--prompt",
                "Once upon a time", "--hook", "blocks.0.hook_resid_pre", "--hook", "blocks.2.attn.hook_pattern",
                "--hook", "blocks.1.attn.hook_attn_scores", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        int[] ids = {1, 403, 407, 261, 378};
        assertEquals(ids.length, j.get("token_ids").size());
        for (int i = 0; i < ids.length; i++) assertEquals(ids[i], j.get("token_ids").get(i).asInt());
        JsonNode resid = j.get("hooks").get("blocks.0.hook_resid_pre");
        assertEquals(5, resid.size());
        assertEquals(64, resid.get(0).size());
        JsonNode pat = j.get("hooks").get("blocks.2.attn.hook_pattern"); // [q][head][k]
        assertEquals(5, pat.size());
        assertEquals(8, pat.get(0).size());
        assertEquals(1.0, pat.get(0).get(3).get(0).asDouble(), 1e-6, "BOS attends only to itself");
        assertTrue(j.get("hooks").get("blocks.1.attn.hook_attn_scores").get(0).get(0).get(1).isNull(), "masked score -> null");
        assertEquals(512, j.get("last_logits").size());
        try (HookedTransformer m = HookedTransformer.load(MODEL, TOK)) {
            float[] last = m.logits(ids).row(ids.length - 1);
            for (int i = 0; i < last.length; i++) assertEquals(last[i], j.get("last_logits").get(i).floatValue(), 0f);
            float[] e0 = m.runWithCache(ids, List.of("blocks.0.hook_resid_pre")).cache().get("blocks.0.hook_resid_pre").row(2);
            for (int i = 0; i < 64; i++) assertEquals(e0[i], resid.get(2).get(i).floatValue(), 0f);
        }
    }

    @Test
    void inspectRejectsAnUnknownHookByName() {
        Run r = run(new InspectCommand(), "--model", MODEL.toString(), "--tokenizer", TOK.toString(), "--prompt", "hi",
                "--hook", "blocks.7.hook_resid_pre", "--json");
        assertTrue(r.code() != 0);
        assertTrue(r.err().contains("blocks.7.hook_resid_pre"), r.err());
    }

    @Test
    void pullFailsWithAClearOfflineMessage(@TempDir Path cache) {
        Run r = run(new ModelsCommand(), "pull", "stories15M", "--cache-dir", cache.toString(), "--base-url", "http://127.0.0.1:1",
                "--timeout-seconds", "2");
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("offline"), r.err());
    }

    @Test
    void pullVerifiesPinnedChecksumsAndRejectsTamperedFiles(@TempDir Path tmp) throws Exception {
        Path mirror = tmp.resolve("mirror/karpathy/tinyllamas/resolve/main/stories260K");
        Files.createDirectories(mirror);
        Files.copy(MODEL, mirror.resolve("stories260K.bin"));
        Files.copy(TOK, mirror.resolve("tok512.bin"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Path root = tmp.resolve("mirror");
        server.createContext("/", ex -> {
            Path f = root.resolve(ex.getRequestURI().getPath().substring(1));
            if (!Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
            } else {
                byte[] b = Files.readAllBytes(f);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Path cache = tmp.resolve("cache");
            Run ok = run(new ModelsCommand(), "pull", "stories260K", "--cache-dir", cache.toString(), "--base-url", base);
            assertEquals(0, ok.code(), ok.err());
            assertEquals(Files.size(MODEL), Files.size(cache.resolve("stories260K/stories260K.bin")));
            Run list = run(new ModelsCommand(), "list", "--cache-dir", cache.toString(), "--zoo", tmp.resolve("nozoo").toString());
            assertTrue(list.out().contains("stories260K"), list.out());

            byte[] bad = Files.readAllBytes(MODEL);
            bad[1000] ^= 1;
            Files.write(mirror.resolve("stories260K.bin"), bad);
            Path cache2 = tmp.resolve("cache2");
            Run tampered = run(new ModelsCommand(), "pull", "stories260K", "--cache-dir", cache2.toString(), "--base-url", base);
            assertEquals(4, tampered.code());
            assertTrue(tampered.err().contains("SHA-256 mismatch"), tampered.err());
            assertTrue(!Files.exists(cache2.resolve("stories260K/stories260K.bin")));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void benchModelReportsRatesBesideTheMatmulRate() throws Exception {
        Run r = run(new BenchCommand(), "model", "--model", MODEL.toString(), "--skip-gpt2-small", "--json", "--reps", "1",
                "--prompt-length", "16", "--decode-tokens", "8", "--matmul-size", "128");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("matmul_gflops").asDouble() > 0);
        JsonNode m = j.get("models").get(0);
        assertEquals("stories260K", m.get("model").asText());
        // embedding 512x64 (tied head counted once) + 5 x (2 norms 64 + qkv 64x128 + wo 64x64 + gate|up 64x344 + down 172x64) + final norm
        long params = 512 * 64 + 5L * (64 + 64 * 128 + 64 * 64 + 64 + 64 * 344 + 172 * 64) + 64;
        assertEquals(params, m.get("parameters").asLong());
        assertTrue(m.get("prefill_tokens_per_s").asDouble() > 0 && m.get("decode_tokens_per_s").asDouble() > 0);
        assertTrue(m.get("cache_all_resid_overhead").asDouble() > 0);
    }

    @Test
    void everyCommandHasHelp() {
        for (Object c : new Object[]{new GenerateCommand(), new InspectCommand(), new ModelsCommand(), new BenchCommand()}) {
            Run r = run(c, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage"), r.out());
        }
    }
}
