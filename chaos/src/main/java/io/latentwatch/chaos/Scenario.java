package io.latentwatch.chaos;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The faults of the suite, by their command-line names. */
public enum Scenario {
    /** kill -9 of monitor-2 of two mid-traffic; monitor-1 takes over its partitions (session timeout of the stack: 6 s). */
    MONITOR_KILL_ONE("monitor-kill-one", true),
    /** kill -9 of the only monitor, restarted at once on the same state directory (static membership: no rebalance wait). */
    MONITOR_KILL_ONLY("monitor-kill-only", true),
    /** kill -9 of the only monitor, restarted on a wiped state directory (state restored from the changelogs). */
    MONITOR_KILL_ONLY_WIPED("monitor-kill-only-wiped", true),
    /** The broker stopped (SIGTERM, a clean shutdown) and restarted on its data directory, mid-traffic. */
    BROKER_RESTART("broker-restart", true),
    /**
     * kill -9 of the broker, restarted on its data directory. Known to fail on Kafka 4.3.1's single in-process broker:
     * after the unclean restart the group coordinator reports its state machine out of sync with __consumer_offsets and
     * keeps the transactional offsets of the transaction in flight at the kill unstable, so no monitor can start its
     * tasks until the broker is restarted once more, cleanly (see docs/reliability.md).
     */
    BROKER_KILL("broker-kill", false),
    /** kill -9 of the registry, down 30 s, then restarted (its KafkaSQL journal on the broker keeps every id). */
    REGISTRY_DOWN("registry-down", false),
    /** kill -9 of the trainer while it writes a new SAE version; no half-written artifact may come into force. */
    TRAINER_KILL_PUBLISHING("trainer-kill-publishing", false),
    /** The broker paused (SIGSTOP) for 60 s: the node answers, queues samples, drops and counts what does not fit. */
    NODE_BROKER_UNREACHABLE("broker-unreachable", false);

    private final String wire;
    private final boolean shortRun;

    Scenario(String wire, boolean shortRun) {
        this.wire = wire;
        this.shortRun = shortRun;
    }

    public String wire() { return wire; }

    /** The scenarios run by the integration test in {@code ./mvnw verify} (bounded wall time). */
    public boolean shortRun() { return shortRun; }

    public static Scenario parse(String s) {
        for (Scenario x : values()) if (x.wire.equals(s.toLowerCase(Locale.ROOT))) return x;
        throw new IllegalArgumentException("no scenario '" + s + "'; scenarios: " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(Scenario::wire).collect(Collectors.joining(", "));
    }
}
