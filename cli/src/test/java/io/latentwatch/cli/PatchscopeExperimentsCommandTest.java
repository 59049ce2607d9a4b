package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class PatchscopeExperimentsCommandTest {
    static final Path ZOO = Files.exists(Path.of("../models/zoo-small")) ? Path.of("../models/zoo-small") : Path.of("models/zoo-small");

    @Test
    void multihopWritesBeforeAndAfter(@TempDir Path dir) throws Exception {
        Path tsv = dir.resolve("cases.tsv");
        Files.writeString(tsv, "# header\nalice lives in\tmadrid\tmadrid is in\talice is from\tspain\tfalse\n"
                + "clara lives in\toslo\toslo is in\tclara is from\tnorway\ttrue\n");
        String out = LensCommandsTest.run(new PatchscopeExperimentsCommand(), "multihop", "--model", ZOO.toString(), "--cases", tsv.toString(),
                "--out", dir.resolve("mh.json").toString());
        assertTrue(out.contains("before"), out);
        JsonNode j = new ObjectMapper().readTree(dir.resolve("mh.json").toFile());
        assertTrue(j.path("all").has("accuracy_before") || j.path("all").has("error"));
        if (j.path("all").has("accuracy_by_layer_pair")) assertEquals(3, j.path("all").path("accuracy_by_layer_pair").size());
    }

    @Test
    void crossmodelIntoItselfFindsAPerfectPair(@TempDir Path dir) throws Exception {
        Path train = dir.resolve("train.txt"), eval = dir.resolve("eval.txt");
        StringBuilder sb = new StringBuilder();
        String[] lines = {"when mary and john went to the store , john gave a drink to mary .", "alice lives in madrid .",
                "after march comes april .", "23 24 25 26 27 .", "once upon a time there was a big cat named tom .",
                "paris is in france .", "count : friday saturday sunday monday .", "it ran from 32 to 57 ."};
        for (int r = 0; r < 3; r++) for (String l : lines) sb.append(l).append('\n');
        Files.writeString(train, sb);
        Files.writeString(eval, "lucy and ben went to the park .\n");
        String out = LensCommandsTest.run(new PatchscopeExperimentsCommand(), "crossmodel", "--source-model", ZOO.toString(),
                "--target-model", ZOO.toString(), "--prompts", train.toString(), "--eval-prompts", eval.toString(), "--out", dir.toString());
        JsonNode j = new ObjectMapper().readTree(dir.resolve("crossmodel.json").toFile());
        assertEquals(1.0, j.path("target_unpatched_agreement").asDouble(), 0);
        // the final residual mapped onto itself (a well-determined affine fit) reproduces the model's own prediction
        assertTrue(j.path("best_precision_at_1").asDouble() > 0.9, out);
        assertTrue(Files.exists(dir.resolve("map-best/map.safetensors")));
    }
}
