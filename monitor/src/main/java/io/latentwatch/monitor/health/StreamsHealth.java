package io.latentwatch.monitor.health;

import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness of a Kafka Streams application, as a supervisor (Kubernetes probes, the
 * local stack) needs them:
 * <ul>
 *   <li><b>live</b> unless the application is in {@code PENDING_ERROR} or {@code ERROR} (a global or
 *       the last stream thread died: nothing will process records again; restart the process), or it
 *       stopped without being asked to;</li>
 *   <li><b>ready</b> only when {@code RUNNING} with at least one live stream thread: then it consumes,
 *       commits and answers queries. {@code CREATED} and {@code REBALANCING} (restoring state, e.g.)
 *       are live but not ready.</li>
 * </ul>
 */
public record StreamsHealth(boolean live, boolean ready, String state, int liveThreads, String reason) {

    /** The health of {@code state} with {@code liveThreads} stream threads alive; {@code closing}: a stop was asked for. */
    public static StreamsHealth of(KafkaStreams.State state, int liveThreads, boolean closing) {
        String name = state.name();
        return switch (state) {
            case RUNNING -> liveThreads > 0
                    ? new StreamsHealth(true, true, name, liveThreads, "processing")
                    : new StreamsHealth(true, false, name, 0, "no stream thread alive");
            case CREATED, REBALANCING -> new StreamsHealth(true, false, name, liveThreads,
                    state == KafkaStreams.State.CREATED ? "not started" : "rebalancing or restoring state");
            case PENDING_ERROR, ERROR -> new StreamsHealth(false, false, name, liveThreads,
                    "a global or stream thread died; the process must be restarted");
            case PENDING_SHUTDOWN, NOT_RUNNING -> closing
                    ? new StreamsHealth(true, false, name, liveThreads, "stopping")
                    : new StreamsHealth(false, false, name, liveThreads, "stopped without being asked to");
        };
    }

    /** True for the states after which Kafka Streams never processes again without a restart. */
    public static boolean fatal(KafkaStreams.State state) {
        return state == KafkaStreams.State.PENDING_ERROR || state == KafkaStreams.State.ERROR;
    }

    /** The JSON body the endpoints answer with. */
    public String json() {
        return String.format("{\"live\":%b,\"ready\":%b,\"state\":\"%s\",\"liveThreads\":%d,\"reason\":\"%s\"}",
                live, ready, state, liveThreads, reason.replace("\"", "'"));
    }
}
