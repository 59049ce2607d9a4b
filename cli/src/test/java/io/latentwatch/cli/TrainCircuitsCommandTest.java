package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.circuits.HeadCodeSignature;
import io.latentwatch.interp.circuits.HeadCoder;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.trainer.CircuitSignatures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCircuitsCommandTest {
    static final Path ZOO = Path.of("../models/zoo-small");
    static final Path PROMPTS = Path.of("../docs/reports/circuits/zoo-small/induction");

    @Test
    void writesCircuitJsonReportSignatureAndSae(@TempDir Path out) throws Exception {
        int rc = new CommandLine(new TrainCircuitsCommand()).execute("--model", ZOO.toString(),
                "--positives", PROMPTS.resolve("positives.txt").toString(), "--negatives", PROMPTS.resolve("negatives.txt").toString(),
                "--ground-truth", ZOO.resolve("circuits.json").toString(), "--task", "induction", "--steps", "40", "--max-examples", "6",
                "--seed", "5", "--out", out.toString());
        assertEquals(0, rc);
        JsonNode j = new ObjectMapper().readTree(out.resolve("circuit.json").toFile());
        assertEquals(8, j.get("nodes").size());
        assertEquals(28, j.get("edges").size());
        assertEquals(6, j.get("positives").asInt());
        assertTrue(j.get("evaluation").get("node_roc_auc").isNumber());
        assertEquals(List.of("L0H0", "L1H3"), List.of(j.get("evaluation").get("ground_truth_heads").get(0).asText(),
                j.get("evaluation").get("ground_truth_heads").get(1).asText()));
        assertTrue(j.get("runtime_seconds").get("total").asDouble() > 0);
        for (String f : new String[] {"report.html", "node-scores.png", "roc.png", "sae/cfg.json", "sae/sae_weights.safetensors", HeadCoder.PROJECTION}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        // The Avro signature file decodes with the schema and converts back to circuit.json's signature.
        String avro = Files.readString(out.resolve("signature.avro.json"));
        CircuitSignature sig = new SpecificDatumReader<>(CircuitSignature.class)
                .read(null, DecoderFactory.get().jsonDecoder(CircuitSignature.getClassSchema(), avro));
        HeadCodeSignature back = CircuitSignatures.fromAvro(sig);
        assertEquals(j.get("signature").get("heads").size(), back.heads().size());
        assertEquals(j.get("signature").get("minMatchedHeads").asInt(), back.minMatchedHeads());
        assertEquals(CircuitSignatures.toAvro(back), sig);
        try (HeadCoder coder = HeadCoder.load(out)) {
            assertEquals(2, coder.layers());
            assertEquals(200, coder.sae().config().dSae());
        }
    }

    @Test
    void unequalLengthsAndUnknownTaskAreClearErrors(@TempDir Path dir) throws Exception {
        Path pos = Files.writeString(dir.resolve("p.txt"), "[BOS] when carl and tom went to the village , tom gave a bag to\n");
        Path neg = Files.writeString(dir.resolve("n.txt"), "[BOS] when kate and leo went to the market , lucy gave a box\n");
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TrainCircuitsCommand());
        cl.setErr(new PrintWriter(err));
        assertNotEquals(0, cl.execute("--model", ZOO.toString(), "--positives", pos.toString(), "--negatives", neg.toString(),
                "--steps", "5", "--out", dir.resolve("o").toString()));
        assertTrue(err.toString().contains("same token length"), err.toString());
        err.getBuffer().setLength(0);
        assertNotEquals(0, cl.execute("--model", ZOO.toString(), "--positives", pos.toString(), "--negatives", pos.toString(),
                "--ground-truth", ZOO.resolve("circuits.json").toString(), "--task", "nope", "--out", dir.resolve("o").toString()));
        assertTrue(err.toString().contains("no task 'nope'"), err.toString());
    }
}
