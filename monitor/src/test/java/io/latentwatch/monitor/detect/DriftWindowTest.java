package io.latentwatch.monitor.detect;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The primitive-array window against a plain map of counts, through serde round trips. */
class DriftWindowTest {

    @Test
    void countsMatchAPlainMapAcrossRandomUpdatesAndSerdeRoundTrips() {
        Random r = new Random(3);
        var serde = DriftWindow.serde();
        DriftWindow w = DriftWindow.start("v1", 4);
        Map<Integer, Integer> ref = new HashMap<>();
        for (int step = 0; step < 300; step++) {
            List<Integer> active = new ArrayList<>();
            int m = r.nextInt(12);
            for (int i = 0; i < m; i++) active.add(r.nextInt(200));
            if (m > 0 && r.nextBoolean()) active.add(active.get(0)); // a duplicate id counts once
            active.stream().distinct().forEach(id -> ref.merge(id, 1, Integer::sum));
            w = w.add(active);
            if (step % 7 == 0) w = serde.deserializer().deserialize("t", serde.serializer().serialize("t", w));
        }
        assertEquals(300, w.n());
        assertEquals("v1", w.saeVersion());
        assertEquals(4, w.index());
        assertEquals(ref.size(), w.distinct());
        int[] dense = w.dense(200);
        for (int id = 0; id < 200; id++) {
            assertEquals(ref.getOrDefault(id, 0), dense[id], "latent " + id);
            assertEquals(ref.getOrDefault(id, 0), w.count(id), "latent " + id);
        }
        Map<Integer, Integer> top = w.top(5);
        int max = ref.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertEquals(max, top.values().iterator().next(), "top() starts with the most frequent latent");
    }

    @Test
    void readsTheOriginalByteLayout() {
        // version "v2", index 1, n 3, two (id, count) pairs in id order: the layout written by the first version.
        byte[] v = "v2".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + v.length + 12 + 16);
        b.putInt(v.length).put(v).putInt(1).putInt(3).putInt(2).putInt(5).putInt(2).putInt(9).putInt(1);
        DriftWindow w = DriftWindow.serde().deserializer().deserialize("t", b.array());
        assertEquals(3, w.n());
        assertEquals(2, w.count(5));
        assertEquals(1, w.count(9));
        assertArrayEquals(b.array(), DriftWindow.serde().serializer().serialize("t", w));
    }
}
