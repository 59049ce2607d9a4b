package io.latentwatch.monitor;

import io.latentwatch.schema.Alert;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopLatentsTest {
    @Test
    void roundTripsThroughTheWireForm() {
        TopLatents t = TopLatents.of(List.of(7, 3, 9), List.of(1.5f, 0.25f, 0.125f), 2);
        assertEquals(List.of(new TopLatents.Entry(7, 1.5), new TopLatents.Entry(3, 0.25)), t.entries());
        Map<String, String> attrs = new HashMap<>();
        t.putInto(attrs);
        assertEquals("7:1.50000,3:0.250000", attrs.get(TopLatents.ATTRIBUTE));
        assertEquals(t, TopLatents.parse(attrs.get(TopLatents.ATTRIBUTE)));
    }

    @Test
    void readsWhatEarlierMonitorsWroteAndWhatAlertsCarry() {
        assertEquals(List.of(new TopLatents.Entry(3, 1.5), new TopLatents.Entry(7, 0.5)), TopLatents.parse("3:1.5,7:0.5").entries());
        assertTrue(TopLatents.parse("").isEmpty());
        assertTrue(TopLatents.parse(null).isEmpty());
        Alert a = new Alert();
        a.setAttributes(Map.of(TopLatents.ATTRIBUTE, "12:2.0"));
        assertEquals(12, TopLatents.of(a).entries().get(0).latent());
        a.setAttributes(Map.of());
        assertTrue(TopLatents.of(a).isEmpty());
    }

    @Test
    void aMalformedPartIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopLatents.parse("3:1.5,x7"));
        assertTrue(e.getMessage().contains("'x7'"), e.getMessage());
    }
}
