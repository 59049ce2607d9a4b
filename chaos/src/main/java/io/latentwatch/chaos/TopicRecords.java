package io.latentwatch.chaos;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.serde.LatentwatchSerdes;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads topics of the stack read_committed, decoded through the registry: the alerts and explanations a run wrote
 * (from the end offsets taken before it started), and whether every record of a topic still decodes.
 */
public final class TopicRecords {
    /**
     * One alert or explanation of a run: its id, the comparison key (the id with the sample's topic@offset replaced by
     * the request id: the same request gives the same key in every run), detector and, for explanations, which model
     * readings it carries.
     */
    /** One alert or explanation; {@code patchscopeStatus} is the explanation's (null for an alert). */
    public record Item(String alertId, String key, String detector, boolean logitLens, boolean patchscope, String patchscopeStatus) {
        public Item(String alertId, String key, String detector, boolean logitLens, boolean patchscope) {
            this(alertId, key, detector, logitLens, patchscope, null);
        }
    }

    private final String bootstrap;
    private final LatentwatchSerdes serdes;

    public TopicRecords(String bootstrap, String registry) {
        this.bootstrap = bootstrap;
        this.serdes = LatentwatchSerdes.forRegistry(registry);
    }

    /** End offsets per partition now (read_committed). */
    public Map<Integer, Long> endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            Map<Integer, Long> m = new HashMap<>();
            c.endOffsets(partitions(c, topic), Duration.ofSeconds(30)).forEach((tp, o) -> m.put(tp.partition(), o));
            return m;
        }
    }

    /** The alerts written since {@code from}. */
    public List<Item> alerts(String topic, Map<Integer, Long> from) {
        Deserializer<Alert> d = serdes.deserializer(Alert.class);
        List<Item> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : read(topic, from)) {
            Alert a = d.deserialize(r.topic(), r.headers(), r.value());
            String source = a.getAttributes() == null ? null : a.getAttributes().get("source");
            String key = source != null && a.getRequestId() != null ? a.getAlertId().replace(source, a.getRequestId()) : a.getAlertId();
            out.add(new Item(a.getAlertId(), key, a.getDetector(), false, false));
        }
        return out;
    }

    /** The explanations written since {@code from}, keyed like their alerts in {@code alertKeys} (alert id to key). */
    public List<Item> explanations(String topic, Map<Integer, Long> from, Map<String, String> alertKeys) {
        Deserializer<Explanation> d = serdes.deserializer(Explanation.class);
        List<Item> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : read(topic, from)) {
            Explanation e = d.deserialize(r.topic(), r.headers(), r.value());
            boolean lens = e.getLogitLensTokens() != null && !e.getLogitLensTokens().isEmpty();
            boolean ps = e.getPatchscopeText() != null && !e.getPatchscopeText().isBlank();
            out.add(new Item(e.getAlertId(), alertKeys.getOrDefault(e.getAlertId(), e.getAlertId()), e.getDetector(), lens, ps,
                    e.getPatchscopeStatus()));
        }
        return out;
    }

    /** Records of {@code topic} from the beginning, and how many of them do not decode (tombstones excepted). */
    public record Decoded(String topic, long records, long undecodable, String firstError) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d records, %d undecodable%s", topic, records, undecodable,
                    firstError == null ? "" : " (" + firstError + ")");
        }
    }

    public Decoded decodeAll(String topic) {
        Deserializer<GenericRecord> d = serdes.genericDeserializer();
        long n = 0, bad = 0;
        String first = null;
        for (ConsumerRecord<byte[], byte[]> r : read(topic, Map.of())) {
            n++;
            if (r.value() == null) continue;
            try {
                d.deserialize(r.topic(), r.headers(), r.value());
            } catch (RuntimeException e) {
                bad++;
                if (first == null) first = r.partition() + "@" + r.offset() + ": " + e.getMessage();
            }
        }
        return new Decoded(topic, n, bad, first);
    }

    /** Every committed record of {@code topic} from {@code from} (missing partitions: from the beginning) to the end now. */
    private List<ConsumerRecord<byte[], byte[]>> read(String topic, Map<Integer, Long> from) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            List<TopicPartition> tps = partitions(c, topic);
            c.assign(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps, Duration.ofSeconds(30));
            for (TopicPartition tp : tps) {
                Long f = from.get(tp.partition());
                if (f == null) c.seekToBeginning(List.of(tp)); else c.seek(tp, f);
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!done(c, end) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) out.add(r);
                }
            }
            if (!done(c, end)) throw new IllegalStateException("could not read " + topic + " up to its end offsets " + end + " within 2 min");
        }
        return out;
    }

    private static boolean done(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) if (c.position(e.getKey()) < e.getValue()) return false;
        return true;
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) throw new IllegalStateException("topic " + topic + " does not exist");
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
