package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class PathsCommandsTest {
    @TempDir Path tmp;

    Path randomModel() throws Exception {
        Path dir = tmp.resolve("model");
        RandomCheckpoints.writeLlama(dir, new RandomCheckpoints.LlamaSpec(32, 64, 4, 4, 2, 64, 64, 1e-5, 10000.0, false, 0.3), 1, DType.F32, 1);
        return dir;
    }

    @Test
    void pathPatchScoresAHypothesisFileAndSweepsAReceiver() throws Exception {
        Path model = randomModel();
        Path hyp = tmp.resolve("h.json");
        Files.writeString(hyp, "{\"name\": \"k-comp\", \"paths\": [\"embed -> L0H1.v -> L1H2.k -> logits\", \"embed -> L1H2.v -> logits\"]}");
        Path out = tmp.resolve("out");
        int rc = new CommandLine(new PathPatchCommand()).execute("--model", model.toString(), "--task", "induction", "--pairs", "6",
                "--length", "5", "--hypothesis", hyp.toString(), "--out", out.toString());
        assertEquals(0, rc);
        JsonNode j = new ObjectMapper().readTree(out.resolve("path-patch.json").toFile());
        assertEquals("k-comp", j.at("/hypotheses/0/hypothesis/name").asText());
        assertEquals(0.0, j.at("/hypotheses/1/proportion_explained").asDouble(), 1e-12); // empty
        assertEquals(1.0, j.at("/hypotheses/2/proportion_explained").asDouble(), 1e-3);  // full graph
        assertTrue(Files.readString(out.resolve("report.html")).contains("k-comp"));

        Path sweepOut = tmp.resolve("sweep");
        assertEquals(0, new CommandLine(new PathPatchCommand()).execute("--model", model.toString(), "--task", "induction", "--pairs", "4",
                "--length", "5", "--sweep", "L1H2", "--out", sweepOut.toString()));
        JsonNode s = new ObjectMapper().readTree(sweepOut.resolve("path-patch.json").toFile());
        assertEquals(6 * 3, s.get("paths").size()); // (embed, 4 heads of layer 0, mlp0) x (q, k, v)
        for (String port : new String[] {"q", "k", "v"}) assertTrue(Files.size(sweepOut.resolve("sweep-induction-L1H2-" + port + ".png")) > 1000);
    }

    @Test
    void pathPatchRejectsABadHypothesisWithAClearMessage() throws Exception {
        Path model = randomModel();
        Path hyp = tmp.resolve("bad.json");
        Files.writeString(hyp, "{\"paths\": [\"L1H0 -> L0H1.k -> logits\"]}");
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PathPatchCommand());
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("--model", model.toString(), "--task", "induction", "--pairs", "2", "--length", "4",
                "--hypothesis", hyp.toString(), "--out", tmp.resolve("o").toString());
        assertNotEquals(0, rc);
        assertTrue(err.toString().contains("paths[0]") && err.toString().contains("does not write"), err.toString());
    }

    @Test
    void helpDocumentsTheHypothesisFormat() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new PathPatchCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("--help"));
        assertTrue(out.toString().contains("\"paths\"") && out.toString().contains(".k"));
        StringWriter out2 = new StringWriter();
        CommandLine c2 = new CommandLine(new SuccessorHeadsCommand());
        c2.setOut(new PrintWriter(out2));
        assertEquals(0, c2.execute("--help"));
        assertTrue(out2.toString().contains("mod-10"));
    }

    @Test
    void successorHeadsRunsOnStories260K() throws Exception {
        Path model = Path.of("../../shared/models/stories260K/stories260K.bin");
        if (!Files.exists(model)) model = Path.of("../shared/models/stories260K/stories260K.bin");
        Assumptions.assumeTrue(Files.exists(model), "stories260K not present");
        Path out = tmp.resolve("succ");
        assertEquals(0, new CommandLine(new SuccessorHeadsCommand()).execute("--model", model.toString(),
                "--tokenizer", model.resolveSibling("tok512.bin").toString(), "--out", out.toString()));
        JsonNode j = new ObjectMapper().readTree(out.resolve("successor-heads.json").toFile());
        assertEquals(40, j.get("ranking").size());
        assertTrue(j.get("tasks").size() >= 2); // digits and letters are single tokens in tok512
        assertTrue(Files.size(out.resolve("succession-scores.png")) > 1000);
    }
}
