package io.latentwatch.monitor.detect;

import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WatchlistTest {
    static LatentLabels labels() {
        return new LatentLabels(List.of(
                new LatentLabels.Latent(0, 0.1f, List.of(), List.of("the"), "the / a"),
                new LatentLabels.Latent(1, 0.01f, List.of(), List.of("dragon", "fire"), "dragon"),
                new LatentLabels.Latent(2, 0.02f, List.of(), List.of("Alice"), "names")));
    }

    @Test
    void resolvesEntriesByIdAndByLabelSearchAndFiresAtTheirThresholds() throws IOException {
        Watchlist w = Watchlist.parse("""
                {"entries": [
                  {"name": "fire", "labelMatches": "(?i)fire|flame", "threshold": 1.0, "severity": "critical"},
                  {"name": "id0", "latent": 0, "threshold": 5.0},
                  {"name": "other-model", "latent": 2, "threshold": 0.0, "model": "nope"}
                ]}""", "test");
        Map<Integer, List<Watchlist.Watched>> m = w.resolve("m", "blocks.0.hook_resid_post", 3, labels());
        assertEquals(2, m.size());
        assertEquals("dragon", m.get(1).get(0).label());
        assertEquals(Severity.CRITICAL, m.get(1).get(0).entry().severity());
        List<Watchlist.Hit> hits = Watchlist.hits(m, List.of(1, 0, 2), List.of(1.5f, 4.9f, 9f));
        assertEquals(1, hits.size());
        assertEquals("fire", hits.get(0).watched().entry().name());
        assertEquals(1, Watchlist.hits(m, List.of(0), List.of(5f)).size());
    }

    @Test
    void badFilesAreRefusedWithTheEntryNamed() {
        IOException e = assertThrows(IOException.class, () -> Watchlist.parse(
                "{\"entries\": [{\"name\": \"x\", \"latent\": 1, \"labelMatches\": \"a\", \"threshold\": 1}]}", "wl.json"));
        assertTrue(e.getMessage().contains("wl.json: entries[0]"), e.getMessage());
        e = assertThrows(IOException.class, () -> Watchlist.parse("{\"entries\": [{\"name\": \"x\", \"latent\": 1}]}", "wl.json"));
        assertTrue(e.getMessage().contains("threshold"), e.getMessage());
        e = assertThrows(IOException.class, () -> Watchlist.parse(
                "{\"entries\": [{\"name\": \"x\", \"labelMatches\": \"(\", \"threshold\": 1}]}", "wl.json"));
        assertTrue(e.getMessage().contains("regular expression"), e.getMessage());
    }
}
