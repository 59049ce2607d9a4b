package io.latentwatch.chaos;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How far the monitors' consumer group ({@code latentwatch-monitor}) has processed the hidden-states topic: its
 * committed offsets (under exactly-once, committed with each transaction) against the topic's end offsets, per
 * partition. A fresh Admin client per call, so a broker restart in between costs nothing but that call.
 */
public final class StreamProgress {
    private final String bootstrap;
    private final String group;
    private final String topic;

    public StreamProgress(String bootstrap, String group, String topic) {
        this.bootstrap = bootstrap;
        this.group = group;
        this.topic = topic;
    }

    /** Committed and end offset per partition; throws when the broker does not answer within {@code timeout}. */
    public record Snapshot(Map<Integer, Long> committed, Map<Integer, Long> end) {
        public long lag() {
            long l = 0;
            for (var e : end.entrySet()) l += Math.max(0, e.getValue() - committed.getOrDefault(e.getKey(), 0L));
            return l;
        }

        public long processed() { return committed.values().stream().mapToLong(Long::longValue).sum(); }

        public long produced() { return end.values().stream().mapToLong(Long::longValue).sum(); }
    }

    public Snapshot snapshot(Duration timeout) throws Exception {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cfg.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        cfg.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(cfg)) {
            long ms = timeout.toMillis();
            var desc = admin.describeTopics(List.of(topic)).allTopicNames().get(ms, TimeUnit.MILLISECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            desc.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .all().get(ms, TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(ms, TimeUnit.MILLISECONDS);
            Map<Integer, Long> c = new HashMap<>(), e = new HashMap<>();
            ends.forEach((tp, info) -> e.put(tp.partition(), info.offset()));
            committed.forEach((tp, o) -> { if (tp.topic().equals(topic) && o != null) c.put(tp.partition(), o.offset()); });
            return new Snapshot(c, e);
        }
    }

    /** A snapshot, or null when the broker does not answer (it is down or paused). */
    public Snapshot trySnapshot(Duration timeout) {
        try {
            return snapshot(timeout);
        } catch (Exception e) {
            return null;
        }
    }
}
