package io.latentwatch.cli;

import io.latentwatch.schema.SaeVersion;
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

class TrainScheduleCommandTest {
    @TempDir Path tmp;

    @Test
    void onceRefitsFromJsonlExamplesPublishesThenSkipsWithoutNewExamples() throws Exception {
        Path ex = tmp.resolve("examples.jsonl");
        List<String> lines = new ArrayList<>();
        Random r = new Random(2);
        for (int i = 0; i < 300; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 12; w++) b.append("w").append(r.nextInt(300)).append(' ');
            lines.add("{\"prompt\":\"" + b.toString().strip() + "\",\"label\":\"REFERENCE\",\"task\":\"t\",\"source\":\"test\"}");
        }
        Files.write(ex, lines);
        List<SaeVersion> published = new ArrayList<>();
        String[] args = {"--model", "fake.bin", "--hook", "blocks.0.hook_resid_post", "--examples", ex.toString(),
                "--store", tmp.resolve("store").toString(), "--d-sae", "48", "--k", "2", "--steps", "150", "--batch-size", "128",
                "--min-new-examples", "100", "--once", "--no-progress"};
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TrainScheduleCommand((m, t) -> new TrainSaeCommandTest.FakeModel(), published::add));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
        assertEquals(1, published.size());
        SaeVersion v = published.get(0);
        assertEquals("fake|blocks.0.hook_resid_post", v.getModelId() + "|" + v.getHook());
        assertTrue(v.getMetrics().get("fvu") < 0.5, v.getMetrics().toString());
        assertTrue(Files.exists(tmp.resolve("store/fake/blocks.0.hook_resid_post/current.json")));
        assertTrue(new CommandLine(new TrainCommand()).getSubcommands().containsKey("schedule"));
    }
}
