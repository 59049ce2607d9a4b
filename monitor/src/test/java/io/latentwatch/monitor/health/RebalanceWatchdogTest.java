package io.latentwatch.monitor.health;

import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RebalanceWatchdogTest {
    @Test
    void aRebalanceLongerThanTheLimitIsFatalOnce() throws Exception {
        BlockingQueue<StreamsHealth> fired = new ArrayBlockingQueue<>(4);
        try (RebalanceWatchdog w = new RebalanceWatchdog(Duration.ofSeconds(1), () -> false, fired::add)) {
            w.transition(KafkaStreams.State.REBALANCING);
            StreamsHealth h = fired.poll(60, TimeUnit.SECONDS);
            assertNotNull(h, "no verdict within 60 s of a 1 s limit");
            assertFalse(h.live());
            assertEquals("REBALANCING", h.state());
            assertTrue(h.reason().contains("limit 1 s"), h.reason());
            assertNull(fired.poll(3, TimeUnit.SECONDS), "fired twice");
        }
    }

    @Test
    void runningAgainOrClosingDisarmsIt() throws Exception {
        BlockingQueue<StreamsHealth> fired = new ArrayBlockingQueue<>(4);
        try (RebalanceWatchdog running = new RebalanceWatchdog(Duration.ofSeconds(1), () -> false, fired::add);
             RebalanceWatchdog closing = new RebalanceWatchdog(Duration.ofSeconds(1), () -> true, fired::add)) {
            running.transition(KafkaStreams.State.REBALANCING);
            running.transition(KafkaStreams.State.RUNNING);
            closing.transition(KafkaStreams.State.REBALANCING);
            // Three check periods past the limit: neither may have fired.
            assertNull(fired.poll(4, TimeUnit.SECONDS));
        }
    }
}
