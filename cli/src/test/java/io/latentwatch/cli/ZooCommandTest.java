package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ZooCommandTest {
    @Test
    void trainWritesAHuggingFaceLlamaDirectory(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("zoo-small");
        int rc = new CommandLine(new ZooCommand()).execute("train", "--size", "small", "--steps", "3", "--seed", "7", "--out", out.toString());
        assertEquals(0, rc);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "training-config.json", "loss-curve.png"})
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        JsonNode tc = new ObjectMapper().readTree(out.resolve("training-config.json").toFile());
        assertEquals(3, tc.get("recipe").get("steps").asInt());
        assertEquals(7, tc.get("weight_seed").asInt());
        assertEquals(3, tc.get("loss_curve").size());
        JsonNode cfg = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("llama", cfg.get("model_type").asText());
        assertEquals(64, cfg.get("hidden_size").asInt());
    }

    @Test
    void unknownSizeIsRefusedWithAClearError(@TempDir Path tmp) {
        CommandLine cl = new CommandLine(new ZooCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("train", "--size", "huge", "--out", tmp.toString());
        assertNotEquals(0, rc);
        assertTrue(err.toString().contains("unknown zoo size 'huge'"), err.toString());
    }

    @Test
    void helpDescribesTheSubcommands() {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new ZooCommand());
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("--help"));
        assertTrue(out.toString().contains("train") && out.toString().contains("circuits") && out.toString().contains("eval"), out.toString());
    }
}
