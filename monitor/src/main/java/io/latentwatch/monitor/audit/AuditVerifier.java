package io.latentwatch.monitor.audit;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import io.latentwatch.serde.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Reads the whole explanations topic (read_committed, every partition from its log start to its
 * end at the time of the call) and checks each partition's hash chain with {@link ChainVerifier}.
 * A record that cannot be decoded is reported as {@code undecodable}. Given the audit key, it first
 * reads the signed checkpoints of the chain heads ({@link CheckpointVerifier}), so that a partition
 * truncated at its end or rewritten as a chain consistent in itself is found too.
 */
public final class AuditVerifier {
    /** {@code retentionBoundary}: the sequence the chain starts at after records deleted by retention, or -1. */
    public record PartitionReport(int partition, long logStart, long end, long records, String lastHash, long retentionBoundary) {}

    /**
     * {@code retention}: the topic's retention.ms / retention.bytes as configured ("-1" = forever);
     * {@code checkpoints}: per partition, what the signed checkpoints said (empty when not checked);
     * {@code checkpointNote}: how the checkpoints were checked, or why not.
     */
    public record Report(String topic, List<PartitionReport> partitions, List<ChainVerifier.Problem> problems, Retention retention,
                         Map<Integer, CheckpointVerifier.Summary> checkpoints, String checkpointNote) {
        public boolean ok() { return problems.isEmpty(); }
        public long records() { return partitions.stream().mapToLong(PartitionReport::records).sum(); }
    }

    /** The explanations topic's retention settings; {@link #finite()} when the broker deletes old records. */
    public record Retention(long retentionMs, long retentionBytes) {
        public static final Retention FOREVER = new Retention(-1, -1);

        public boolean finite() { return retentionMs >= 0 || retentionBytes >= 0; }

        @Override public String toString() {
            return finite() ? "retention.ms=" + retentionMs + ", retention.bytes=" + retentionBytes : "kept forever";
        }
    }

    /**
     * How to check the signed checkpoints: their topic (with its serdes), the key (null: not
     * checked, the report says so) and the age the newest checkpoint of a partition may have
     * (null or zero: any).
     */
    public record CheckpointCheck(Topic<String, AuditCheckpoint> topic, AuditKey key, Duration maxAge) {}

    private AuditVerifier() {}

    /** Reads the topic's retention.ms and retention.bytes from the broker. */
    public static Retention retention(Map<String, Object> clientConfig, String topic, Duration timeout) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try (Admin admin = Admin.create(KafkaConfig.connection(clientConfig))) {
            Config c = admin.describeConfigs(List.of(r)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(r);
            return new Retention(Long.parseLong(c.get(TopicConfig.RETENTION_MS_CONFIG).value()),
                    Long.parseLong(c.get(TopicConfig.RETENTION_BYTES_CONFIG).value()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the configuration of " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the retention of topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** {@link #verify(Map, Topic, Duration, Retention)} with the topic's retention read from the broker. */
    public static Report verify(Map<String, Object> consumerConfig, Topic<String, Explanation> topic,
                                Duration timeout) {
        return verify(consumerConfig, topic, timeout, retention(consumerConfig, topic.name(), timeout));
    }

    /** As {@link #verify(Map, Topic, Duration)}, with the signed checkpoints checked as {@code check} says. */
    public static Report verify(Map<String, Object> consumerConfig, Topic<String, Explanation> topic,
                                Duration timeout, CheckpointCheck check) {
        return verify(consumerConfig, topic, timeout, retention(consumerConfig, topic.name(), timeout), check);
    }

    /**
     * Checks every partition. Where {@code retention} is finite and a partition's log starts after
     * offset 0, the broker has deleted its oldest records on purpose: the chain may start after
     * sequence 0 there, reported as the retention boundary rather than a gap.
     */
    public static Report verify(Map<String, Object> consumerConfig, Topic<String, Explanation> topic,
                                Duration timeout, Retention retention) {
        return verify(consumerConfig, topic, timeout, retention, null);
    }

    /** {@link #verify(Map, Topic, Duration, Retention)} and, when {@code check} has a key, the signed checkpoints. */
    public static Report verify(Map<String, Object> consumerConfig, Topic<String, Explanation> topic,
                                Duration timeout, Retention retention, CheckpointCheck check) {
        Properties p = new Properties();
        p.putAll(consumerConfig);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.GROUP_ID_CONFIG, "latentwatch-audit-" + System.nanoTime());
        List<ChainVerifier.Problem> problems = new ArrayList<>();
        List<PartitionReport> reports = new ArrayList<>();
        CheckpointVerifier cps = null;
        String note;
        String name = topic.name();
        Deserializer<Explanation> deserializer = topic.valueSerde().deserializer();
        // Raw bytes, decoded per record with the topics' serdes: an undecodable record is a finding, not a failure.
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            if (check == null) {
                note = "signed checkpoints not checked";
            } else if (check.key() == null) {
                note = "signed checkpoints not checked: give the audit key (--audit-key-file FILE or $" + AuditKey.ENV
                        + ") to detect a truncated or rewritten partition";
            } else {
                CheckpointVerifier v = new CheckpointVerifier(check.key(), name, Instant.now(), check.maxAge());
                List<ChainVerifier.Problem> undecodable = new ArrayList<>();
                String cpName = check.topic().name();
                Deserializer<AuditCheckpoint> cpDeserializer = check.topic().valueSerde().deserializer();
                if (readAll(c, cpName, timeout, r -> {
                    AuditCheckpoint cp;
                    try {
                        cp = cpDeserializer.deserialize(cpName, r.value());
                    } catch (RuntimeException ex) {
                        undecodable.add(new ChainVerifier.Problem(-1, r.offset(), -1, "undecodable",
                                "checkpoint partition " + r.partition() + ": " + ex.getMessage()));
                        return;
                    }
                    v.checkpoint(r.partition(), r.offset(), cp);
                }) == null) {
                    problems.add(new ChainVerifier.Problem(-1, -1, -1, "checkpoint-missing", "the checkpoint topic " + cpName
                            + " does not exist: create it (latentwatch topics create) and give the monitor the audit key"));
                }
                problems.addAll(undecodable);
                cps = v;
                note = "signed checkpoints checked with key " + check.key().id() + (check.maxAge() == null || check.maxAge().isZero()
                        ? ", any age" : ", newest at most " + check.maxAge() + " old");
            }
            Map<Integer, ChainVerifier> verifiers = new TreeMap<>();
            Map<Integer, Instant> oldest = new HashMap<>();
            Map<TopicPartition, Long> start = new HashMap<>();
            Map<TopicPartition, Long> end = new HashMap<>();
            CheckpointVerifier cpv = cps;
            List<TopicPartition> tps = readAll(c, name, timeout, start, end, tp -> verifiers.put(tp.partition(),
                    new ChainVerifier(tp.partition(), retention.finite() && start.get(tp) > 0)), r -> {
                ChainVerifier v = verifiers.get(r.partition());
                Explanation e;
                try {
                    e = deserializer.deserialize(name, r.value());
                } catch (RuntimeException ex) {
                    problems.add(new ChainVerifier.Problem(r.partition(), r.offset(), -1, "undecodable", ex.getMessage()));
                    return;
                }
                v.accept(r.offset(), e);
                oldest.putIfAbsent(r.partition(), e.getTimestampMs());
                if (cpv != null) cpv.record(r.partition(), r.offset(), e.getSequence(), e.getHash());
            });
            if (tps == null) throw new IllegalArgumentException("topic " + name + " does not exist or has no partitions");
            for (TopicPartition tp : tps) {
                ChainVerifier v = verifiers.get(tp.partition());
                problems.addAll(v.problems());
                reports.add(new PartitionReport(tp.partition(), start.get(tp), end.get(tp), v.records(), v.lastHash(),
                        v.retentionBoundary()));
                if (cps != null) cps.end(tp.partition(), v.lastSequence(), v.retentionBoundary(), v.records(), oldest.get(tp.partition()));
            }
            if (cps != null) problems.addAll(cps.problems());
        }
        return new Report(name, reports, problems, retention, cps == null ? Map.of() : cps.summaries(), note);
    }

    private static List<TopicPartition> readAll(KafkaConsumer<String, byte[]> c, String topic, Duration timeout,
                                                Consumer<ConsumerRecord<String, byte[]>> each) {
        return readAll(c, topic, timeout, new HashMap<>(), new HashMap<>(), tp -> { }, each);
    }

    /**
     * Reads every partition of {@code topic} from its log start to its end offset at the time of
     * the call; null when the topic does not exist. {@code start} and {@code end} receive the offsets.
     */
    private static List<TopicPartition> readAll(KafkaConsumer<String, byte[]> c, String topic, Duration timeout,
                                                Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
                                                Consumer<TopicPartition> onPartition, Consumer<ConsumerRecord<String, byte[]>> each) {
        var infos = c.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) return null;
        List<TopicPartition> tps = new ArrayList<>();
        infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
        tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        c.assign(tps);
        c.seekToBeginning(tps);
        start.putAll(c.beginningOffsets(tps, timeout));
        end.putAll(c.endOffsets(tps, timeout));
        tps.forEach(onPartition);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean all = true;
            for (TopicPartition tp : tps) if (c.position(tp, timeout) < end.get(tp)) { all = false; break; }
            if (all) break;
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out reading " + topic);
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) each.accept(r);
        }
        return tps;
    }

    /** Plain-text report for the CLI. */
    public static String format(Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append("topic ").append(r.topic()).append(": ").append(r.records()).append(" explanation(s) in ")
                .append(r.partitions().size()).append(" partition(s), ").append(r.retention()).append('\n');
        for (PartitionReport p : r.partitions()) {
            sb.append(String.format("  partition %d: offsets %d..%d, %d record(s), chain head %s%n", p.partition(), p.logStart(),
                    p.end(), p.records(), p.lastHash() == null ? "-" : p.lastHash()));
            if (p.retentionBoundary() >= 0) {
                sb.append(String.format("    retention boundary: records before offset %d (sequences 0..%d) were deleted by the "
                        + "configured retention; the chain is verified from sequence %d%n", p.logStart(), p.retentionBoundary() - 1,
                        p.retentionBoundary()));
            }
        }
        sb.append("  ").append(r.checkpointNote()).append('\n');
        for (CheckpointVerifier.Summary s : r.checkpoints().values()) {
            sb.append(String.format("  partition %d: %d signed checkpoint(s), newest %s (sequence %d); %d signed head(s) matched in the log%s%n",
                    s.partition(), s.checkpoints(), s.newest() == null ? "-" : s.newest(), s.newestSequence(), s.checked(),
                    s.beforeRetention() > 0 ? ", " + s.beforeRetention() + " before the retention boundary (records deleted by retention)" : ""));
        }
        if (r.ok()) sb.append("OK: every chain is intact").append(r.checkpoints().isEmpty() ? "" : " and matches its signed checkpoints").append('\n');
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
