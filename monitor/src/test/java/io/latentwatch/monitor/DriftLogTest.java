package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.DriftWindow;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The log-structured drift windows count exactly what the one-record-per-window DriftWindow counts,
 * survive a restart (a new DriftLog over the same store, as after a task moves: the in-memory counts
 * are rebuilt from the store), and keep only the open window's entries.
 */
class DriftLogTest {
    static final String KEY = "m|blocks.0.hook_resid_post";
    static final int D_SAE = 50;

    @Test
    void countsLikeDriftWindowAcrossARestartAndForgetsClosedWindows() {
        KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("drift"), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        SplittableRandom r = new SplittableRandom(3);
        DriftLog log = new DriftLog(store);
        DriftWindow reference = DriftWindow.start("v1", 0);
        int window = 7;
        for (int i = 0; i < 30; i++) {
            if (i == 17) log = new DriftLog(store); // restart: memory gone, store kept
            List<Integer> latents = new ArrayList<>();
            for (int j = 0; j < 4; j++) latents.add(r.nextInt(D_SAE));
            latents.add(latents.get(0)); // a latent listed twice fires once
            DriftLog.Open w = log.add(KEY, "v1", D_SAE, latents);
            reference = reference.add(latents);
            assertEquals(reference.n(), w.n);
            assertArrayEquals(reference.dense(D_SAE), w.counts, "counts after activation " + i);
            assertEquals(reference.index(), w.index);
            if (w.n >= window) {
                log.next(KEY);
                reference = DriftWindow.start("v1", reference.index() + 1);
            }
        }
        // 30 = 4 windows of 7 closed + 2 counted: the store holds the header and 2 entries.
        assertEquals(3, size(store));
        DriftWindow stored = DriftLog.read(store, KEY);
        assertEquals(4, stored.index());
        assertEquals(2, stored.n());
        assertArrayEquals(reference.dense(D_SAE), stored.dense(D_SAE));

        // A new SAE version starts window 0 and drops the old version's entries.
        DriftLog.Open w = log.add(KEY, "v2", D_SAE, List.of(1, 2));
        assertEquals(0, w.index);
        assertEquals(1, w.n);
        assertEquals(2, size(store));
    }

    private static int size(KeyValueStore<String, byte[]> store) {
        int n = 0;
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) { it.next(); n++; }
        }
        return n;
    }
}
