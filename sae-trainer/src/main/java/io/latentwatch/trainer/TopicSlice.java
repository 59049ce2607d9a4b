package io.latentwatch.trainer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A fixed, re-readable slice of a topic: the records a consumer group has not consumed yet, as they
 * stood when the slice was taken. Per partition the range is [from, to): {@code from} is the group's
 * committed offset (the log start when none, or when retention already deleted it), {@code to} the
 * end offset at snapshot time, capped so that at most {@code maxRecords} offsets are taken in total
 * (shared fairly between partitions). Records that arrive later belong to the next slice.
 *
 * <p>Why a slice and not a subscription: SAE training reads its data several times (one
 * {@link #reader()} per epoch, see {@link ActivationPipeline}) and only a successful refit may mark
 * the data consumed. So readers {@code assign} + {@code seek} without a group, and {@link #commit()}
 * writes the {@code to} offsets for the group afterwards: a crash mid-refit leaves the examples
 * fresh for the next attempt. The consumer reads only committed transactional data
 * ({@code read_committed}); offsets then include control markers, so {@link #offsets()} is an
 * upper bound on the records.
 */
public final class TopicSlice {
    private final Map<String, Object> config;
    private final String topic;
    private final String groupId;
    private final Map<TopicPartition, long[]> ranges;   // partition -> {from, to}
    private final Duration idleTimeout;

    private TopicSlice(Map<String, Object> config, String topic, String groupId, Map<TopicPartition, long[]> ranges, Duration idleTimeout) {
        this.config = config;
        this.topic = topic;
        this.groupId = groupId;
        this.ranges = ranges;
        this.idleTimeout = idleTimeout;
    }

    /**
     * Takes the slice of {@code topic} that group {@code groupId} has not consumed, at most
     * {@code maxRecords} offsets. A topic that does not exist yet gives an empty slice.
     *
     * @param consumerConfig Kafka consumer properties (at least bootstrap.servers); group, offset and
     *                       deserializer settings are set here
     */
    public static TopicSlice snapshot(Map<String, ?> consumerConfig, String topic, String groupId, long maxRecords) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(groupId, "groupId");
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be >= 1, got " + maxRecords);
        Map<String, Object> c = new HashMap<>(consumerConfig);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200");
        Map<TopicPartition, long[]> ranges = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) return new TopicSlice(c, topic, groupId, ranges, Duration.ofSeconds(30));
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : infos) parts.add(new TopicPartition(topic, i.partition()));
            parts.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(parts), Duration.ofSeconds(30));
            long[] lag = new long[parts.size()];
            long[] from = new long[parts.size()];
            for (int i = 0; i < parts.size(); i++) {
                TopicPartition tp = parts.get(i);
                OffsetAndMetadata om = committed.get(tp);
                from[i] = Math.max(begin.get(tp), om == null ? 0 : om.offset());
                lag[i] = Math.max(0, end.get(tp) - from[i]);
            }
            long[] take = fairShare(lag, maxRecords);
            for (int i = 0; i < parts.size(); i++) ranges.put(parts.get(i), new long[]{from[i], from[i] + take[i]});
        }
        return new TopicSlice(c, topic, groupId, ranges, Duration.ofSeconds(30));
    }

    /** Water-filling: each partition gets an equal share of {@code max}, capped by its lag, the rest redistributed. */
    static long[] fairShare(long[] lag, long max) {
        long[] take = new long[lag.length];
        long left = max;
        int open = 0;
        for (long l : lag) if (l > 0) open++;
        while (left > 0 && open > 0) {
            long share = Math.max(1, left / open);
            open = 0;
            for (int i = 0; i < lag.length && left > 0; i++) {
                long room = lag[i] - take[i];
                if (room <= 0) continue;
                long t = Math.min(Math.min(room, share), left);
                take[i] += t;
                left -= t;
                if (take[i] < lag[i]) open++;
            }
        }
        return take;
    }

    /** Offsets not consumed by the group right now (the {@code --min-new-examples} count), at most {@code cap}. */
    public static long pending(Map<String, ?> consumerConfig, String topic, String groupId, long cap) {
        return snapshot(consumerConfig, topic, groupId, Math.max(1, cap)).offsets();
    }

    public String topic() { return topic; }

    public String groupId() { return groupId; }

    /** Offsets in the slice (an upper bound on its records: transaction markers take offsets too). */
    public long offsets() {
        long n = 0;
        for (long[] r : ranges.values()) n += r[1] - r[0];
        return n;
    }

    public boolean isEmpty() { return offsets() == 0; }

    /** partition -> [from, to) (a copy). */
    public Map<Integer, long[]> ranges() {
        Map<Integer, long[]> m = new LinkedHashMap<>();
        ranges.forEach((tp, r) -> m.put(tp.partition(), r.clone()));
        return m;
    }

    /** A fresh reader over exactly this slice (one per epoch). */
    public Reader reader() {
        return new Reader();
    }

    /** Marks the slice consumed for the group (commits each partition's {@code to}). */
    public void commit() {
        if (ranges.isEmpty()) return;
        Map<TopicPartition, OffsetAndMetadata> offs = new HashMap<>();
        ranges.forEach((tp, r) -> offs.put(tp, new OffsetAndMetadata(r[1], "latentwatch sae refit")));
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.commitSync(offs, Duration.ofSeconds(30));
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(topic).append(" for group ").append(groupId).append(':');
        ranges.forEach((tp, r) -> b.append(" p").append(tp.partition()).append("[").append(r[0]).append(',').append(r[1]).append(')'));
        return b.toString();
    }

    /**
     * Reads the slice's raw records once, partition ranges in any interleaving. Opens its consumer
     * lazily (on the thread that first reads). Fails if no record arrives for 30 s while records are
     * still owed (broker gone), rather than hanging a refit.
     */
    public final class Reader implements AutoCloseable {
        private KafkaConsumer<byte[], byte[]> consumer;
        private Iterator<ConsumerRecord<byte[], byte[]>> batch = Collections.emptyIterator();
        private final Map<TopicPartition, long[]> open = new HashMap<>();

        Reader() {
            ranges.forEach((tp, r) -> { if (r[1] > r[0]) open.put(tp, r); });
        }

        /** The next record of the slice, or null when all of it was read. */
        public ConsumerRecord<byte[], byte[]> next() {
            long idleSince = System.nanoTime();
            while (true) {
                while (batch.hasNext()) {
                    ConsumerRecord<byte[], byte[]> r = batch.next();
                    long[] range = ranges.get(new TopicPartition(r.topic(), r.partition()));
                    if (range != null && r.offset() >= range[0] && r.offset() < range[1]) return r;
                }
                if (consumer == null) {
                    if (open.isEmpty()) return null;
                    consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                    consumer.assign(open.keySet());
                    open.forEach((tp, r) -> consumer.seek(tp, r[0]));
                } else {
                    // Partitions whose position reached their end are done (markers may skip offsets).
                    open.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue()[1]);
                    if (open.isEmpty()) return null;
                    consumer.pause(new HashSet<>(consumer.assignment()).stream().filter(tp -> !open.containsKey(tp)).toList());
                }
                var polled = consumer.poll(Duration.ofMillis(500));
                if (!polled.isEmpty()) idleSince = System.nanoTime();
                else if (System.nanoTime() - idleSince > idleTimeout.toNanos()) {
                    throw new IllegalStateException("no records from " + TopicSlice.this + " for " + idleTimeout.toSeconds()
                            + " s while " + open.size() + " partition(s) still owe records");
                }
                batch = polled.iterator();
            }
        }

        @Override
        public void close() {
            if (consumer != null) consumer.close(Duration.ofSeconds(5));
        }
    }
}
