package io.latentwatch.monitor;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads given records of the input topic back by (topic, partition, offset), with a plain consumer
 * outside any group (assign + seek, read_committed, no offset commits): how the projection recovers
 * samples it had buffered by reference when a task restarts (see {@link ProjectionBuffer}). The
 * connection settings are the application's own (bootstrap servers, security), so it reaches the
 * cluster the stream threads reach.
 */
final class InputReplay {
    private InputReplay() {}

    /**
     * The records of {@code topic}-{@code partition} at {@code offsets}, keyed by offset; offsets no longer in
     * the log (deleted by retention) are absent. Gives up after {@code timeout}.
     */
    static Map<Long, ConsumerRecord<byte[], byte[]>> read(Map<String, Object> appConfigs, String topic, int partition,
                                                          TreeSet<Long> offsets, Duration timeout) {
        Map<Long, ConsumerRecord<byte[], byte[]>> out = new HashMap<>();
        if (offsets.isEmpty()) return out;
        Map<String, Object> cc = new HashMap<>();
        for (Map.Entry<String, Object> e : appConfigs.entrySet()) {
            String k = e.getKey();
            if (k.equals(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) || k.startsWith("security.") || k.startsWith("ssl.")
                    || k.startsWith("sasl.")) {
                cc.put(k, e.getValue());
            }
        }
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cc.put(ConsumerConfig.CLIENT_ID_CONFIG, "latentwatch-projection-replay-" + topic + "-" + partition);
        TopicPartition tp = new TopicPartition(topic, partition);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seek(tp, offsets.first());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && c.position(tp) <= offsets.last()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (offsets.contains(r.offset())) out.put(r.offset(), r);
                }
                long end = c.endOffsets(List.of(tp)).get(tp);
                if (c.position(tp) >= end) break; // nothing more to read: the rest was deleted or never committed
            }
        }
        return out;
    }
}
