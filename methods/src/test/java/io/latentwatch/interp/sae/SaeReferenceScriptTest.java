package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.Npy;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the reference libraries themselves, when they are installed: {@code make_fixtures.py}
 * regenerates every fixture and must reproduce the committed expectations, and SAELens must load
 * the SAEs latentwatch trains (every training method) and saves (every architecture) and encode to
 * latentwatch's latents. The Python interpreter is {@code $LATENTWATCH_SAELENS_PYTHON}, else
 * {@code python3}; it needs numpy, safetensors, torch and sae-lens ({@code pip install sae-lens}).
 * Without them the tests are skipped, saying so.
 */
class SaeReferenceScriptTest {
    static String python;
    static String unavailable;

    @BeforeAll
    static void findPython() throws Exception {
        python = System.getenv().getOrDefault("LATENTWATCH_SAELENS_PYTHON", "python3");
        String why;
        try {
            Process p = new ProcessBuilder(python, "-c", "import numpy, safetensors, torch, sae_lens").redirectErrorStream(true).start();
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            why = !done ? "timed out importing sae_lens" : p.exitValue() == 0 ? null : out.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue());
        } catch (IOException e) {
            why = e.getMessage();
        }
        unavailable = why == null ? null : python + " cannot import numpy, safetensors, torch and sae_lens (" + why
                + "); pip install sae-lens into a virtual environment and set LATENTWATCH_SAELENS_PYTHON to its python";
    }

    static void needLibraries() {
        Assumptions.assumeTrue(unavailable == null, () -> "skipped: " + unavailable);
    }

    static String run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(python, SaeReferenceFixturesTest.fixtures().resolve("make_fixtures.py").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "make_fixtures.py timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void theScriptReproducesTheCommittedFixtures(@TempDir Path tmp) throws Exception {
        needLibraries();
        run("--out", tmp.toString());
        Path committed = SaeReferenceFixturesTest.fixtures();
        assertEquals(Files.readString(committed.resolve("fixtures.json")), Files.readString(tmp.resolve("fixtures.json")));
        List<Path> expected;
        try (Stream<Path> s = Files.walk(committed)) {
            expected = s.filter(p -> p.getFileName().toString().endsWith(".npy")).toList();
        }
        assertTrue(expected.size() >= 25, "expected files: " + expected.size());
        for (Path e : expected) {
            Path fresh = tmp.resolve(committed.relativize(e).toString());
            SaeReferenceFixturesTest.assertClose(committed.relativize(e).toString(), Npy.read(e), Npy.read(fresh));
        }
    }

    @Test
    void saeLensLoadsWhatLatentwatchTrainsAndSavesAndEncodesTheSame(@TempDir Path tmp) throws Exception {
        needLibraries();
        List<String> dirs = new ArrayList<>();
        SaeTrainingTest.Planted planted = new SaeTrainingTest.Planted(9);
        float[] x = planted.rows(12);
        for (TrainingMethod m : TrainingMethod.values()) {
            SaeConfig cfg = switch (m) {
                case RELU -> SaeConfig.relu(SaeTrainingTest.D, 48, "blocks.0.hook_resid_post", "synthetic");
                case TOPK, BATCH_TOPK -> SaeConfig.topk(SaeTrainingTest.D, 48, 4, "blocks.0.hook_resid_post", "synthetic");
                case JUMPRELU -> SaeConfig.jumpRelu(SaeTrainingTest.D, 48, "blocks.0.hook_resid_post", "synthetic");
            };
            SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(120).withBatchSize(128).withLr(4e-3f).withEvalEvery(120)
                    .withL1(m == TrainingMethod.JUMPRELU ? 0.05f : 1f);
            SaeTraining.Result r = SaeTraining.train(m, cfg, opt, planted.rows(1024), planted::rows, () -> planted.rows(256));
            try (SparseAutoencoder sae = r.sae()) {
                dirs.add(save(sae, tmp.resolve("trained-" + m.name().toLowerCase()), x));
            }
        }
        // Every architecture as latentwatch saves it, from the reference fixtures (SAELens 6 cannot load a
        // scaling_factor that is not all ones, so that fixture is left out).
        Path root = SaeReferenceFixturesTest.fixtures();
        Tensor inputs = Npy.read(root.resolve("inputs.npy"));
        for (SaeReferenceFixturesTest.Fixture f : SaeReferenceFixturesTest.list(root)) {
            if (f.name().contains("scaling-factor")) continue;
            try (SparseAutoencoder sae = SaeFiles.load(f.dir(), f.options())) {
                dirs.add(save(sae, tmp.resolve("saved-" + f.name()), inputs.data()));
            }
        }
        List<String> args = new ArrayList<>(List.of("--check"));
        args.addAll(dirs);
        String out = run(args.toArray(String[]::new));
        assertTrue(out.contains("all " + dirs.size() + " agree"), out);
    }

    private static String save(SparseAutoencoder sae, Path dir, float[] x) throws IOException {
        SaeFiles.save(sae, dir);
        int d = sae.config().dIn();
        Tensor in = new Tensor(x, x.length / d, d);
        Npy.write(dir.resolve("inputs.npy"), in);
        Npy.write(dir.resolve("latentwatch_latents.npy"), sae.encode(in));
        return dir.toString();
    }
}
