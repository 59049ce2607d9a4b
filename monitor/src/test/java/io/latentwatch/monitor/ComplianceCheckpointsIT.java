package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.monitor.audit.AuditKey;
import io.latentwatch.monitor.audit.AuditVerifier;
import io.latentwatch.monitor.audit.ChainVerifier;
import io.latentwatch.monitor.audit.Checkpoints;
import io.latentwatch.monitor.audit.HashChain;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compliance log on a real broker, written by the real monitor with an audit key: its signed
 * checkpoints make {@code audit verify} pass on the untouched log and fail, with a reason per
 * partition, when a partition is truncated at its end or rewritten as a chain consistent in itself
 * (both invisible to the hash chain alone), when a checkpoint is forged, and when the wrong key is
 * given. Redaction patterns are applied before anything is written.
 */
class ComplianceCheckpointsIT extends AbstractKafkaIT {
    static final int MODELS = 16;

    @TempDir Path tmp;

    ComplianceCheckpointsIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void truncatedAndRewrittenPartitionsFailAuditVerifyTheUntouchedLogPasses() throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 2, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Path keyFile = tmp.resolve("audit.key");
        Files.writeString(keyFile, "it-" + UUID.randomUUID() + "-" + UUID.randomUUID() + "\n");
        AuditKey key = AuditKey.fromFile(keyFile);
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.AUDIT_KEY_FILE, keyFile.toString(),
                MonitorConfig.AUDIT_CHECKPOINT_INTERVAL_MS, "200",
                MonitorConfig.EXPLAIN_REDACT_PATTERNS, "secret-\\d+"), Map.of());
        Map<String, Object> streamsCfg = MonitorApp.streamsDefaults(bootstrapServers(), tmp.resolve("state"));
        streamsCfg.put(StreamsConfig.APPLICATION_ID_CONFIG, "it-audit-" + UUID.randomUUID());
        streamsCfg.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        TypedTopics typed = TypedTopics.of(topics, serdes);
        AuditVerifier.CheckpointCheck check = new AuditVerifier.CheckpointCheck(typed.auditCheckpoints(), key, Duration.ofMinutes(10));
        Deserializer<Explanation> explanations = serdes.deserializer(Explanation.class);

        // Each model id without an SAE raises one no-sae alert per hook, each alert one explanation.
        try (MonitorApp monitor = MonitorApp.builder(streamsCfg, topics, serdes).normDetector(new ActivationNormDetector(1_000_000, 4, 8))
                .sae(cfg, null, null).build().start();
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            assertTrue(monitor.awaitRunning(Duration.ofSeconds(90)), "state " + monitor.state());
            Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
            for (int m = 0; m < MODELS; m++) {
                HiddenStateSample s = new SyntheticTraffic("secret-" + (100 + m), m).normal();
                producer.send(new ProducerRecord<>(topics.hiddenStates(), s.getModelId(), ser.serialize(topics.hiddenStates(), s)));
            }
            producer.flush();
            // Done when every partition has explanations and a checkpoint signs its last one.
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            AuditVerifier.Report ok;
            while (true) {
                ok = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60), check);
                long expected = (long) MODELS * SyntheticTraffic.DEFAULT_HOOKS.size();
                AuditVerifier.Report r = ok;
                boolean signed = r.records() >= expected && r.partitions().stream().allMatch(p -> p.records() > 0
                        && r.checkpoints().get(p.partition()) != null
                        && r.checkpoints().get(p.partition()).newestSequence() == p.records() - 1);
                if (signed) break;
                assertTrue(System.nanoTime() < deadline, "explanations and their checkpoints did not arrive:\n" + AuditVerifier.format(ok));
                Thread.sleep(300);
            }
            System.out.print(AuditVerifier.format(ok));
            assertTrue(ok.ok(), AuditVerifier.format(ok));
        }

        // Redacted before writing: the model ids match the pattern, the text names none of them.
        List<ConsumerRecord<String, Explanation>> log = consumeUntil(List.of(topics.explanations()), new StringDeserializer(),
                explanations, got -> got.size() >= MODELS * SyntheticTraffic.DEFAULT_HOOKS.size(), Duration.ofSeconds(60));
        assertTrue(log.stream().noneMatch(r -> r.value().getText().contains("secret-")), log.get(0).value().getText());
        assertTrue(log.stream().allMatch(r -> r.value().getText().contains("[REDACTED]")), log.get(0).value().getText());

        // The untouched log, stopped monitor: passes (checkpoints younger than 10 min); the wrong key is named.
        AuditVerifier.Report stopped = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60), check);
        assertTrue(stopped.ok(), AuditVerifier.format(stopped));
        AuditVerifier.Report wrongKey = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60),
                new AuditVerifier.CheckpointCheck(check.topic(), AuditKey.of("not the monitor's key, but long enough"),
                        check.maxAge()));
        assertFalse(wrongKey.ok());
        assertTrue(wrongKey.problems().stream().allMatch(p -> p.kind().equals("unknown-key") || p.kind().equals("checkpoint-missing")),
                AuditVerifier.format(wrongKey));

        // An administrator re-creates the topic: partition 0 without its last 3 records, partition 1 as a new chain
        // (one record's text changed, every later record re-linked: consistent in itself).
        Map<Integer, List<ConsumerRecord<String, Explanation>>> byPartition = log.stream()
                .sorted(Comparator.comparingLong(ConsumerRecord::offset))
                .collect(Collectors.groupingBy(ConsumerRecord::partition));
        assertTrue(byPartition.get(0).size() > 3 && byPartition.get(1).size() > 3, "explanations per partition: " + byPartition.keySet());
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(topics.explanations())).all().get();
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try {
                    admin.createTopics(topics.newTopics(2, (short) 1).stream().filter(t -> t.name().equals(topics.explanations())).toList())
                            .all().get();
                    break;
                } catch (Exception e) {
                    assertTrue(System.nanoTime() < until, "cannot re-create the topic: " + e);
                    Thread.sleep(200);
                }
            }
        }
        Serializer<Explanation> eSer = serdes.serializer(Explanation.class);
        List<ConsumerRecord<String, Explanation>> p0 = byPartition.get(0);
        List<ConsumerRecord<String, Explanation>> p1 = byPartition.get(1);
        List<Explanation> rewritten = new ArrayList<>();
        String prev = null;
        for (int i = 0; i < p1.size(); i++) {
            Explanation e = p1.get(i).value();
            if (i == 1) e = Explanation.newBuilder(e).setText("nothing happened").build();
            Explanation linked = HashChain.link(e, prev, i);
            prev = linked.getHash();
            rewritten.add(linked);
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            for (ConsumerRecord<String, Explanation> r : p0.subList(0, p0.size() - 3)) {
                producer.send(new ProducerRecord<>(topics.explanations(), 0, r.key(), eSer.serialize(topics.explanations(), r.value()))).get();
            }
            for (int i = 0; i < rewritten.size(); i++) {
                producer.send(new ProducerRecord<>(topics.explanations(), 1, p1.get(i).key(),
                        eSer.serialize(topics.explanations(), rewritten.get(i)))).get();
            }
        }
        AuditVerifier.Report chainOnly = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60));
        assertTrue(chainOnly.ok(), "the hash chain alone cannot see either: " + AuditVerifier.format(chainOnly));
        AuditVerifier.Report bad = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60), check);
        System.out.print(AuditVerifier.format(bad));
        assertFalse(bad.ok());
        assertTrue(has(bad, 0, "truncated", "ends at sequence " + (p0.size() - 4)), AuditVerifier.format(bad));
        assertTrue(has(bad, 1, "rewritten", "the partition was rewritten"), AuditVerifier.format(bad));

        // A forged checkpoint (an edited sequence under the old HMAC) is named as such.
        AuditCheckpoint genuine = Checkpoints.sign(key, topics.explanations(), 1, 0, rewritten.get(0).getHash(), Instant.now());
        AuditCheckpoint forged = AuditCheckpoint.newBuilder(genuine).setSequence(rewritten.size() - 1)
                .setHash(rewritten.get(rewritten.size() - 1).getHash()).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.auditCheckpoints(), "1",
                    serdes.serializer(AuditCheckpoint.class).serialize(topics.auditCheckpoints(), forged))).get();
        }
        AuditVerifier.Report forgedReport = AuditVerifier.verify(consumerConfig(), typed.explanations(), Duration.ofSeconds(60), check);
        assertTrue(has(forgedReport, 1, "forged-checkpoint", "forged or edited"), AuditVerifier.format(forgedReport));
    }

    static boolean has(AuditVerifier.Report r, int partition, String kind, String detail) {
        for (ChainVerifier.Problem p : r.problems()) {
            if (p.partition() == partition && p.kind().equals(kind) && p.detail().contains(detail)) return true;
        }
        return false;
    }
}
