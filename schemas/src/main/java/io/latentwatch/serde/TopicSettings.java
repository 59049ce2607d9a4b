package io.latentwatch.serde;

import java.time.Duration;
import java.util.Map;

/**
 * How latentwatch's topics are created: partitions, replication factor, and how long the
 * explanations topic (the compliance log) keeps records. {@link #explanationsRetention()} null
 * means forever ({@code retention.ms=-1}): a compliance log must not lose records to the broker's
 * default of seven days; a regulator's period (e.g. {@code P3650D}) can be configured instead,
 * and {@code latentwatch audit verify} then reports the start of the log as that retention
 * boundary, not as missing records.
 *
 * <p>Environment variables (for services that create missing topics on start):
 * {@value #PARTITIONS_ENV}, {@value #REPLICATION_ENV}, {@value #EXPLANATIONS_RETENTION_ENV}
 * (an ISO-8601 duration such as {@code P3650D}, or {@code forever}).
 */
public record TopicSettings(int partitions, short replicationFactor, Duration explanationsRetention) {

    public static final String PARTITIONS_ENV = "LATENTWATCH_TOPIC_PARTITIONS";
    public static final String REPLICATION_ENV = "LATENTWATCH_TOPIC_REPLICATION_FACTOR";
    public static final String EXPLANATIONS_RETENTION_ENV = "LATENTWATCH_EXPLANATIONS_RETENTION";
    public static final String FOREVER = "forever";

    public TopicSettings {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be >= 1, got " + replicationFactor);
        }
        if (explanationsRetention != null && (explanationsRetention.isNegative() || explanationsRetention.isZero())) {
            throw new IllegalArgumentException("the explanations retention must be positive (or forever), got " + explanationsRetention);
        }
    }

    /** {@code partitions} partitions, replication factor 1, explanations kept forever. */
    public static TopicSettings of(int partitions) {
        return new TopicSettings(partitions, (short) 1, null);
    }

    /** Settings from {@code env} (see the class comment), with 3 partitions, replication 1 and forever as defaults. */
    public static TopicSettings fromEnvironment(Map<String, String> env) {
        int partitions = Integer.parseInt(env.getOrDefault(PARTITIONS_ENV, "3").trim());
        short rf = Short.parseShort(env.getOrDefault(REPLICATION_ENV, "1").trim());
        return new TopicSettings(partitions, rf, parseRetention(env.get(EXPLANATIONS_RETENTION_ENV)));
    }

    /** {@code forever}, blank or null: null (forever); otherwise an ISO-8601 duration ({@code P3650D}, {@code PT24H}). */
    public static Duration parseRetention(String text) {
        if (text == null || text.isBlank() || text.trim().equalsIgnoreCase(FOREVER)) {
            return null;
        }
        Duration d;
        try {
            d = Duration.parse(text.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a retention period: give an ISO-8601 duration "
                    + "such as P3650D (ten years) or PT24H, or 'forever'", e);
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("the explanations retention must be positive (or 'forever'), got " + text);
        }
        return d;
    }

    /** The {@code retention.ms} value for the explanations topic: -1 for forever. */
    public long explanationsRetentionMs() {
        return explanationsRetention == null ? -1L : explanationsRetention.toMillis();
    }

    public TopicSettings withPartitions(int n) {
        return new TopicSettings(n, replicationFactor, explanationsRetention);
    }

    @Override
    public String toString() {
        return partitions + " partition(s), replication " + replicationFactor + ", explanations kept "
                + (explanationsRetention == null ? FOREVER : "for " + explanationsRetention);
    }
}
