package io.latentwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `latentwatch demo` for a short run on real model traffic (stories260K or the zoo model), on the
 * in-process broker and registry, checked through its JSON summary: every acknowledged sample is
 * processed, malformed records are dead-lettered by reason, the SAE is projected, the refit is
 * hot-swapped in, and each detector's precision/recall is computed against the injected ground truth.
 */
class DemoCommandIT {
    @TempDir
    Path dir;

    @Test
    void shortDemoOnRealTrafficProjectsAlertsHotSwapsAndScoresItsDetectors() throws Exception {
        Path json = dir.resolve("out/summary.json");
        int rc = Main.commandLine().execute("demo", "--duration", "20s", "--rate", "4", "--sae-steps", "120",
                "--malformed-rate", "0.5", "--quiet", "--summary-json", json.toString());
        assertEquals(0, rc);
        JsonNode s = new ObjectMapper().readTree(json.toFile());
        assertTrue(s.get("requests_ok").asLong() > 10, s.toString());
        assertEquals(s.get("samples_sent").asLong(), s.get("samples_processed").asLong(), s.toString());
        assertTrue(s.get("activations_projected").asLong() > 0, s.toString());
        // Every hook that should have an SAE has one; the early residual sampled only for the lens trajectory has none by
        // design and is counted apart.
        assertEquals(0, s.get("samples_without_sae").asLong(), s.toString());
        JsonNode lens = s.get("lens_trajectory");
        assertTrue(lens != null && "blocks.0.hook_resid_post".equals(lens.get("early_hook").asText())
                && "blocks.1.hook_resid_post".equals(lens.get("final_hook").asText()), s.toString());
        assertEquals("blocks.0.hook_resid_post", lens.get("hooks_without_sae").get(0).asText());
        assertTrue(lens.get("samples_without_sae_lens_only").asLong() > 0, lens.toString());
        assertTrue(lens.get("tuned_lens").asText().contains("trained on these weights"), lens.toString());
        // The baseline is warmed up on known-good traffic before the mixed traffic, and scored like every detector.
        assertTrue(lens.get("warmup_requests").asInt() * 4 >= 200, lens.toString());
        JsonNode lensScore = s.get("detectors").get("lens-trajectory");
        assertTrue(lensScore != null && "anomaly".equals(lensScore.get("target").asText()), s.toString());
        assertEquals(lens.get("alerts").asLong(), s.get("alerts_by_detector").path("lens-trajectory").asLong(), s.toString());
        assertEquals(s.get("malformed_sent").asLong(), s.get("dlq").asLong(), s.toString());
        assertEquals(s.get("malformed_sent_by_reason"), s.get("dlq_by_reason"));
        assertTrue(s.get("hot_swaps").asLong() >= 1, s.toString());
        assertTrue(s.has("alerts_by_detector") && s.has("explanations"), s.toString());
        long alerts = 0;
        for (JsonNode n : s.get("alerts_by_detector")) alerts += n.asLong();
        assertEquals(s.get("alerts").asLong(), alerts);
        // Every detector that flagged requests has a precision in [0, 1]; recall is against a non-empty target.
        s.get("detectors").fields().forEachRemaining(e -> {
            if (e.getKey().equals("unscored")) return;
            JsonNode d = e.getValue();
            if (d.get("flagged_requests").asLong() > 0) {
                double p = d.get("precision").asDouble();
                assertTrue(p >= 0 && p <= 1, e.getKey() + " " + d);
            }
        });
        // The circuit detector watches the succession circuit discovered before traffic (its own SaeVersion of
        // blocks.1.attn.hook_result, the default --circuit-task) and is scored against that task's triggers.
        JsonNode circuit = s.get("detectors").get("circuit");
        assertTrue(circuit != null && "circuit:successor".equals(circuit.get("target").asText()), s.toString());
        // Its false alarms are also measured on the trainer's held-out normal prompts (half of the demo's 4000), with a bound.
        JsonNode held = s.get("circuit_false_alarms_held_out");
        assertTrue(held != null && held.get("normal_prompts").asLong() == 2000, s.toString());
        assertTrue(held.get("false_alarm_upper_95").asDouble() >= held.get("false_alarm_rate").asDouble(), held.toString());
        assertTrue(s.get("sae_versions_applied").asLong() >= 3, s.toString());
        assertTrue(s.get("consistent").asBoolean(), s.toString());
    }
}
