package io.latentwatch.monitor.health;

import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Treats a Kafka Streams application that stays in {@code REBALANCING} longer than a limit as dead, like a dead thread:
 * after a broker restart a stream thread's consumer was seen spinning in its rejoin loop for minutes (the group empty on
 * the coordinator) while a fresh process joined at once, so the process must exit for its supervisor to restart it.
 * The limit must exceed the longest state restore the application needs (restoring also reports REBALANCING).
 */
public final class RebalanceWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RebalanceWatchdog.class);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "latentwatch-rebalance-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile long rebalancingSinceNanos = -1;
    private volatile boolean fired;

    /**
     * @param limit   how long REBALANCING may last
     * @param closing true once a stop was asked for (then nothing fires)
     * @param onStuck called once, off the Streams threads, with the health to report
     */
    public RebalanceWatchdog(Duration limit, BooleanSupplier closing, Consumer<StreamsHealth> onStuck) {
        long period = Math.max(1, Math.min(5, limit.toSeconds() / 4));
        timer.scheduleAtFixedRate(() -> {
            long since = rebalancingSinceNanos;
            if (fired || since < 0 || closing.getAsBoolean()) return;
            long stuck = System.nanoTime() - since;
            if (stuck > limit.toNanos()) {
                fired = true;
                String why = "REBALANCING for " + TimeUnit.NANOSECONDS.toSeconds(stuck) + " s (limit " + limit.toSeconds()
                        + " s); the process must be restarted";
                LOG.error("Kafka Streams stuck: {}", why);
                onStuck.accept(new StreamsHealth(false, false, KafkaStreams.State.REBALANCING.name(), 0, why));
            }
        }, period, period, TimeUnit.SECONDS);
    }

    /** Feed every state transition here. */
    public void transition(KafkaStreams.State now) {
        if (now == KafkaStreams.State.REBALANCING) {
            if (rebalancingSinceNanos < 0) rebalancingSinceNanos = System.nanoTime();
        } else {
            rebalancingSinceNanos = -1;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
