package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class ActivationPipelineTest {
    /** Rows whose single value is their index; prompt = index / 10. */
    static ActivationSource counting(int n, AtomicInteger produced) {
        return new ActivationSource() {
            int i;
            public int dIn() { return 1; }
            public ActivationRow next() {
                if (i >= n) return null;
                produced.incrementAndGet();
                int k = i++;
                return new ActivationRow(new float[] {k}, new TokenContext("t", "c", k / 10, k % 10));
            }
        };
    }

    @Test
    void boundedBufferDeliversEveryRowOnceAndRunsAheadByAtMostItsCapacity() throws Exception {
        AtomicInteger produced = new AtomicInteger();
        try (BoundedActivationBuffer b = new BoundedActivationBuffer(counting(5000, produced), 64)) {
            Thread.sleep(200);
            // capacity 64 in the queue + at most one row in the producer's hand
            assertTrue(produced.get() <= 66, "producer ran ahead by " + produced.get());
            for (int i = 0; i < 5000; i++) assertEquals(i, b.next().values()[0]);
            assertNull(b.next());
        }
    }

    @Test
    void producerFailureSurfacesToTheConsumer() {
        ActivationSource bad = new ActivationSource() {
            public int dIn() { return 1; }
            public ActivationRow next() { throw new IllegalStateException("model exploded"); }
        };
        try (BoundedActivationBuffer b = new BoundedActivationBuffer(bad, 4)) {
            var e = assertThrows(IOException.class, b::next);
            assertTrue(e.getMessage().contains("model exploded"));
        } catch (IOException e) {
            fail(e);
        }
    }

    @Test
    void shuffleBufferIsAPermutationThatMovesRowsAround() throws Exception {
        ShuffleBuffer s = new ShuffleBuffer(counting(1000, new AtomicInteger()), 100, 1);
        List<Integer> out = new ArrayList<>();
        ActivationRow r;
        while ((r = s.next()) != null) out.add((int) r.values()[0]);
        assertEquals(1000, out.size());
        assertEquals(1000, new HashSet<>(out).size());
        int inPlace = 0;
        for (int i = 0; i < out.size(); i++) if (out.get(i) == i) inPlace++;
        assertTrue(inPlace < 50, inPlace + " rows stayed in place");
    }

    @Test
    void splitIsByPromptAndEpochsReuseOnlyTrainRows() throws Exception {
        int n = 2000;
        try (ActivationPipeline p = new ActivationPipeline(() -> counting(n, new AtomicInteger()), 128, 64, 0.2, 10_000, 7)) {
            Set<Integer> trainPrompts = new HashSet<>();
            int trainRows = 0;
            // read 3000 rows: more than one epoch of train rows
            float[] rows = p.next(3000);
            for (float v : rows) {
                trainPrompts.add((int) v / 10);
                trainRows++;
            }
            assertTrue(p.epochs() >= 2, "should have started a second epoch");
            Set<Integer> valPrompts = new HashSet<>();
            for (TokenContext c : p.validationContexts()) valPrompts.add(c.prompt());
            assertFalse(valPrompts.isEmpty());
            for (int vp : valPrompts) assertFalse(trainPrompts.contains(vp), "prompt " + vp + " in both train and validation");
            int expectedVal = 0;
            for (int prompt = 0; prompt < n / 10; prompt++) if (p.isValidation(prompt)) expectedVal += 10;
            assertEquals(expectedVal, p.validationRows().length, "validation collected once (first epoch only)");
            double share = expectedVal / (double) n;
            assertTrue(share > 0.1 && share < 0.3, "validation share " + share);
            assertEquals(3000, trainRows);
        }
    }
}
