package io.latentwatch.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@link LabeledExample}s from JSONL (one JSON object per line with the schema's field names:
 * prompt, label, task, source, optional modelId, timestampMs). Malformed lines are errors naming the
 * file and line, not silently skipped.
 */
public final class LabeledExampleFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LabeledExampleFile() {}

    public static List<LabeledExample> read(Path file) throws IOException {
        List<LabeledExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    JsonNode o = JSON.readTree(line);
                    String prompt = req(o, "prompt");
                    ExampleLabel label = ExampleLabel.valueOf(req(o, "label").toUpperCase(Locale.ROOT));
                    out.add(LabeledExample.newBuilder().setPrompt(prompt).setLabel(label)
                            .setTask(o.path("task").asText("")).setSource(o.path("source").asText(""))
                            .setModelId(o.hasNonNull("modelId") ? o.get("modelId").asText() : null)
                            .setTimestampMs(o.hasNonNull("timestampMs") ? Instant.ofEpochMilli(o.get("timestampMs").asLong()) : null)
                            .build());
                } catch (IOException | IllegalArgumentException e) {
                    throw new IOException(file + ":" + n + ": not a LabeledExample: " + e.getMessage(), e);
                }
            }
        }
        return out;
    }

    private static String req(JsonNode o, String key) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) throw new IllegalArgumentException("missing '" + key + "'");
        return n.asText();
    }
}
