package io.latentwatch.trainer.service;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys ({@code modelId|hook}) that have a live record on the compacted sae-versions topic: read from the
 * beginning to the end offsets taken at the start, tombstones removing their key. A topic that does not exist has none.
 */
public final class VersionTopic {
    private VersionTopic() {}

    public static Set<String> liveKeys(Map<String, ?> consumerConfig, String topic, Duration timeout) {
        Map<String, Object> cfg = new HashMap<>(consumerConfig);
        cfg.remove(ConsumerConfig.GROUP_ID_CONFIG);
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "latentwatch-trainer-versions");
        Set<String> live = new HashSet<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> parts = c.partitionsFor(topic, timeout);
            if (parts == null || parts.isEmpty()) return live;
            List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp, timeout) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) continue;
                    if (r.value() == null) live.remove(r.key());
                    else live.add(r.key());
                }
            }
        }
        return live;
    }
}
