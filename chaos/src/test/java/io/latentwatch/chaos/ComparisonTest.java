package io.latentwatch.chaos;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComparisonTest {
    private static TopicRecords.Item a(String key, String detector) {
        return new TopicRecords.Item("id-" + key, key, detector, false, false);
    }

    @Test
    void countsMissingExtraAndDuplicatedPerDetector() {
        List<TopicRecords.Item> ref = List.of(a("r1", "recon-error"), a("r2", "recon-error"), a("r3", "rare-latent"), a("d", "latent-drift"));
        List<TopicRecords.Item> got = List.of(a("r1", "recon-error"), a("r1", "recon-error"), a("r3", "rare-latent"), a("r9", "rare-latent"));
        Comparison c = Comparison.of(ref, got);
        assertEquals(new Comparison.Counts(2, 2, 1, 0, 1), c.byDetector().get("recon-error"));
        assertEquals(new Comparison.Counts(1, 2, 0, 1, 0), c.byDetector().get("rare-latent"));
        assertEquals(new Comparison.Counts(1, 0, 1, 0, 0), c.byDetector().get("latent-drift"));
        assertFalse(c.perSampleClean());
    }

    @Test
    void onlyPerSampleDetectorsDecideCleanliness() {
        Comparison c = Comparison.of(List.of(a("r1", "recon-error"), a("d1", "latent-drift")), List.of(a("r1", "recon-error"), a("d2", "latent-drift")));
        assertTrue(c.perSampleClean());
        assertFalse(c.byDetector().get("latent-drift").clean());
    }

    @Test
    void groundTruthP99IsTheNearestRankOverTheWindow() {
        List<GroundTruth.Request> rs = new ArrayList<>();
        for (int i = 1; i <= 100; i++) rs.add(new GroundTruth.Request("q" + i, 200, i, 1000L + i));
        GroundTruth t = new GroundTruth(rs);
        assertEquals(99, t.p99Ms(0, Long.MAX_VALUE));
        assertEquals(10, t.p99Ms(1001, 1010));
        assertTrue(Double.isNaN(t.p99Ms(0, 10)));
    }

    @Test
    void scenariosParseByTheirNames() {
        for (Scenario s : Scenario.values()) assertEquals(s, Scenario.parse(s.wire()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Scenario.parse("nope"))
                .getMessage().contains("monitor-kill-one"));
    }
}
