package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExplanationWorkerTest {
    static Alert alert(int i) {
        return Alert.newBuilder().setAlertId("a" + i).setModelId("m").setModelVersion("v").setHook("blocks.0.hook_resid_post")
                .setDetector("recon-error").setSeverity(Severity.WARNING).setScore(1).setThreshold(0.5)
                .setTimestampMs(Instant.EPOCH).setSampleTimestampMs(Instant.EPOCH).setSummary("s").build();
    }

    @Test
    void aFullWorkerSaysSoInsteadOfBlockingTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RepresentationReader slow = a -> {
            release.await();
            return new RepresentationReader.Reading(List.of(), List.of(), "text of " + a.getAlertId());
        };
        try (ExplanationWorker w = new ExplanationWorker(slow, 1, 2)) {
            Future<RepresentationReader.Reading> first = w.submit(alert(0)); // running
            assertNotNull(first);
            // The first task may still sit in the queue for a moment: fill until refused.
            int accepted = 1;
            long start = System.nanoTime();
            while (w.submit(alert(accepted)) != null) accepted++;
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(accepted >= 2 && accepted <= 3, "1 running + 2 queued at most, got " + accepted);
            assertTrue(tookMs < 1000, "submit never waits: " + tookMs + " ms");
            assertNull(w.submit(alert(99)));
            release.countDown();
            assertEquals("text of a0", first.get(10, TimeUnit.SECONDS).patchscopeText());
        }
    }
}
