package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `latentwatch demo` for a few seconds, on the in-process broker and registry, checked through its JSON summary. */
class DemoCommandIT {
    @TempDir
    Path dir;

    @Test
    void shortDemoExitsZeroAndItsSummaryAgreesWithTheInjectedGroundTruth() throws Exception {
        Path json = dir.resolve("out/summary.json");
        int rc = Main.commandLine().execute("demo", "--duration", "8s", "--rate", "80", "--warmup", "30",
                "--malformed-share", "0.05", "--outlier-share", "0.04", "--quiet", "--summary-json", json.toString());
        assertEquals(0, rc);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertEquals(s.get("samples_sent").asLong(), s.get("samples_processed").asLong());
        assertTrue(s.get("samples_processed").asLong() > 300, s.toString());
        assertEquals(s.get("malformed_sent").asLong(), s.get("dlq").asLong());
        assertTrue(s.get("dlq").asLong() > 0, s.toString());
        assertEquals(s.get("malformed_sent_by_reason"), s.get("dlq_by_reason"));
        assertTrue(s.get("alerts").asLong() > 0, s.toString());
        assertEquals(s.get("alerts").asLong(), s.get("alerts_by_detector").get("activation-norm").asLong());
        assertTrue(s.get("outliers_injected").asLong() > 0, s.toString());
        // Weak outliers (scale near 1.3) may slip under the threshold; most must be caught.
        assertTrue(s.get("outliers_detected").asLong() >= s.get("outliers_injected").asLong() / 2, s.toString());
        assertTrue(s.get("false_alarms").asLong() <= 2, s.toString());
        assertEquals(s.get("samples_processed").asLong(), s.get("metrics").get("latentwatch_records_processed_total").asLong());
        assertTrue(s.get("consistent").asBoolean(), s.toString());
    }
}
