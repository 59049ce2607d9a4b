package io.latentwatch.monitor.audit;

import io.latentwatch.schema.Explanation;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads the whole explanations topic (read_committed, every partition from its log start to its
 * end at the time of the call) and checks each partition's hash chain with {@link ChainVerifier}.
 * A record that cannot be decoded is reported as {@code undecodable}.
 */
public final class AuditVerifier {
    public record PartitionReport(int partition, long logStart, long end, long records, String lastHash) {}

    public record Report(String topic, List<PartitionReport> partitions, List<ChainVerifier.Problem> problems) {
        public boolean ok() { return problems.isEmpty(); }
        public long records() { return partitions.stream().mapToLong(PartitionReport::records).sum(); }
    }

    private AuditVerifier() {}

    public static Report verify(Map<String, Object> consumerConfig, String topic, Deserializer<Explanation> deserializer,
                                Duration timeout) {
        Properties p = new Properties();
        p.putAll(consumerConfig);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, "latentwatch-audit-" + System.nanoTime());
        List<ChainVerifier.Problem> problems = new ArrayList<>();
        List<PartitionReport> reports = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            var infos = c.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) throw new IllegalArgumentException("topic " + topic + " does not exist or has no partitions");
            infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
            tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> start = c.beginningOffsets(tps, timeout);
            Map<TopicPartition, Long> end = c.endOffsets(tps, timeout);
            Map<Integer, ChainVerifier> verifiers = new TreeMap<>();
            tps.forEach(tp -> verifiers.put(tp.partition(), new ChainVerifier(tp.partition())));
            Map<TopicPartition, Long> done = new HashMap<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                boolean all = true;
                for (TopicPartition tp : tps) if (c.position(tp, timeout) < end.get(tp)) { all = false; break; }
                if (all) break;
                if (System.nanoTime() > deadline) throw new IllegalStateException("timed out reading " + topic);
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ChainVerifier v = verifiers.get(r.partition());
                    Explanation e;
                    try {
                        e = deserializer.deserialize(topic, r.value());
                    } catch (RuntimeException ex) {
                        problems.add(new ChainVerifier.Problem(r.partition(), r.offset(), -1, "undecodable", ex.getMessage()));
                        continue;
                    }
                    v.accept(r.offset(), e);
                    done.put(new TopicPartition(r.topic(), r.partition()), r.offset());
                }
            }
            for (TopicPartition tp : tps) {
                ChainVerifier v = verifiers.get(tp.partition());
                problems.addAll(v.problems());
                reports.add(new PartitionReport(tp.partition(), start.get(tp), end.get(tp), v.records(), v.lastHash()));
            }
        }
        return new Report(topic, reports, problems);
    }

    /** Plain-text report for the CLI. */
    public static String format(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("topic ").append(r.topic()).append(": ").append(r.records()).append(" explanation(s) in ")
                .append(r.partitions().size()).append(" partition(s)\n");
        for (PartitionReport p : r.partitions()) {
            sb.append(String.format("  partition %d: offsets %d..%d, %d record(s), chain head %s%n", p.partition(), p.logStart(),
                    p.end(), p.records(), p.lastHash() == null ? "-" : p.lastHash()));
        }
        if (r.ok()) sb.append("OK: every chain is intact\n");
        else {
            sb.append("FAILED: ").append(r.problems().size()).append(" problem(s)\n");
            for (ChainVerifier.Problem p : r.problems()) sb.append("  ").append(p).append('\n');
        }
        return sb.toString();
    }

    public static Map<String, Object> consumerDefaults(String bootstrap) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        m.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return m;
    }
}
