package io.latentwatch.cli;

import io.latentwatch.interp.sae.DecoderLogits;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.trainer.ActivationModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TrainSaeCommandTest {
    @TempDir Path tmp;

    /** A stand-in model: each word's activation is a fixed sparse mix of 24 directions in 16 dims. */
    static final class FakeModel implements ActivationModel {
        final float[][] dirs = new float[24][16];
        int ceCalls;

        FakeModel() {
            Random r = new Random(3);
            for (float[] u : dirs) for (int j = 0; j < 16; j++) u[j] = (float) r.nextGaussian() / 4;
        }

        public String modelId() { return "fake"; }
        public String versionHash() { return "0"; }
        public int dModel() { return 16; }

        public PromptActivations run(String prompt, String hook) {
            String[] words = ("<s> " + prompt).split(" ");
            float[] rows = new float[words.length * 16];
            for (int i = 0; i < words.length; i++) {
                Random r = new Random(words[i].hashCode());
                for (int a = 0; a < 2; a++) {
                    float[] u = dirs[r.nextInt(24)];
                    float amp = 1 + r.nextFloat();
                    for (int j = 0; j < 16; j++) rows[i * 16 + j] += amp * u[j];
                }
            }
            return new PromptActivations(rows, 16, words);
        }

        public String generate(String prompt, int n, float t, long seed) { return prompt; }

        public double crossEntropy(List<String> prompts, String hook, SparseAutoencoder sae) {
            ceCalls++;
            return sae == null ? 2.0 : 2.1;
        }

        public DecoderLogits decoderLogits() { return (d, n) -> List.of("x", "y"); }

        public void close() {}
    }

    @Test
    void trainsFromAPromptFileAndWritesEveryFile() throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        List<String> lines = new ArrayList<>();
        Random r = new Random(1);
        for (int i = 0; i < 400; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 12; w++) b.append("w").append(r.nextInt(300)).append(' ');
            lines.add(b.toString().strip());
            if (i % 50 == 0) lines.add("");
        }
        Files.write(prompts, lines);
        FakeModel fake = new FakeModel();
        Path out = tmp.resolve("sae");
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TrainSaeCommand((m, t) -> fake));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("--model", "fake.bin", "--hook", "blocks.0.hook_resid_post", "--prompts", prompts.toString(),
                "--d-sae", "48", "--architecture", "topk", "--k", "2", "--steps", "200", "--batch-size", "128", "--out", out.toString(),
                "--no-progress");
        assertEquals(0, code, err.toString());
        try (SparseAutoencoder sae = SaeFiles.load(out)) {
            assertEquals(16, sae.config().dIn());
            assertEquals("fake", sae.config().modelName());
        }
        String metrics = Files.readString(out.resolve("latentwatch_metrics.json"));
        assertTrue(metrics.contains("\"ce_increase\""), metrics);
        assertEquals(2, fake.ceCalls);
        assertTrue(Files.readString(out.resolve("latentwatch_labels.json")).contains("promotes: 'x'"));
        assertTrue(Files.exists(out.resolve("report/report.html")));
    }

    @Test
    void helpAndBadArgumentsGiveClearMessages() {
        StringWriter o = new StringWriter();
        CommandLine cl = new CommandLine(new TrainCommand());
        cl.setOut(new PrintWriter(o));
        assertEquals(0, cl.execute("sae", "--help"));
        assertTrue(o.toString().contains("--d-sae") && o.toString().contains("SAELens"), o.toString());
        StringWriter e = new StringWriter();
        CommandLine bad = new CommandLine(new TrainSaeCommand((m, t) -> new FakeModel()));
        bad.setErr(new PrintWriter(e));
        int code = bad.execute("--model", "x", "--hook", "h", "--prompts", tmp.resolve("missing.txt").toString(), "--out", tmp.toString());
        assertNotEquals(0, code);
        assertTrue(e.toString().contains("missing.txt"), e.toString());
    }

    @Test
    void batchTopKAndJumpReluTrainAndAreSavedAsJumpRelu() throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        List<String> lines = new ArrayList<>();
        Random r = new Random(2);
        for (int i = 0; i < 200; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 12; w++) b.append("w").append(r.nextInt(300)).append(' ');
            lines.add(b.toString().strip());
        }
        Files.write(prompts, lines);
        for (String arch : new String[] {"batchtopk", "jumprelu"}) {
            Path out = tmp.resolve(arch);
            StringWriter err = new StringWriter();
            CommandLine cl = new CommandLine(new TrainSaeCommand((m, t) -> new FakeModel()));
            cl.setErr(new PrintWriter(err));
            int code = cl.execute("--model", "fake.bin", "--hook", "blocks.0.hook_resid_post", "--prompts", prompts.toString(),
                    "--d-sae", "48", "--architecture", arch, "--k", "2", "--steps", "150", "--batch-size", "128", "--out", out.toString(),
                    "--no-progress", "--ce-prompts", "0");
            assertEquals(0, code, arch + ": " + err);
            try (SparseAutoencoder sae = SaeFiles.load(out)) {
                assertEquals("jumprelu", sae.config().architecture(), arch);
                assertTrue(sae.weights().containsKey("threshold"), arch);
            }
            assertTrue(Files.readString(out.resolve("cfg.json")).contains("\"architecture\" : \"jumprelu\""), arch);
        }
        StringWriter e = new StringWriter();
        CommandLine bad = new CommandLine(new TrainSaeCommand((m, t) -> new FakeModel()));
        bad.setErr(new PrintWriter(e));
        assertNotEquals(0, bad.execute("--model", "x", "--hook", "h", "--prompts", prompts.toString(), "--out", tmp.toString(),
                "--architecture", "matryoshka"));
        assertTrue(e.toString().contains("batchtopk"), e.toString());
    }
}
