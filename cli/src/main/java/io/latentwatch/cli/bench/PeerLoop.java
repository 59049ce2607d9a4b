package io.latentwatch.cli.bench;

import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeProjection;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.serde.LatentwatchSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The benchmark's peer: the simplest thing a user would write instead of the monitor — a plain
 * consumer loop that decodes each poll's samples (Avro, F16 to float32), projects them through the
 * same SAE in one batched matmul + TopK ({@link SaeProjection}, the same BLAS path the monitor uses)
 * and produces one {@link LatentProjection} per sample, committing offsets after each poll
 * (at-least-once: no transactions, no state, no detectors, no dead letters). Its samples/s is what the
 * monitor's exactly-once pipeline is compared with.
 */
final class PeerLoop {
    private PeerLoop() {}

    /** Samples/s of the peer over the first {@code samples} records of {@code topic}. */
    static double run(String bootstrap, LatentwatchSerdes serdes, String topic, Path saeDir, int samples, int maxPollRecords,
                      int maxLatents) throws Exception {
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-peer-" + UUID.randomUUID());
        cc.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cc.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cc.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        Map<String, Object> pc = new HashMap<>();
        pc.put("bootstrap.servers", bootstrap);
        pc.put("enable.idempotence", "true");
        pc.put("acks", "all");
        pc.put("linger.ms", "5");
        String out = "bench.peer-projections";
        Deserializer<HiddenStateSample> de = serdes.deserializer(HiddenStateSample.class);
        Serializer<LatentProjection> ser = serdes.serializer(LatentProjection.class);
        try (SparseAutoencoder sae = SaeFiles.load(saeDir);
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(cc, new StringDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
            int dIn = sae.config().dIn();
            consumer.subscribe(List.of(topic));
            long first = 0;
            int done = 0, firstBatch = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
            while (done < samples && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> recs = consumer.poll(Duration.ofMillis(100));
                if (recs.isEmpty()) continue;
                List<HiddenStateSample> batch = new ArrayList<>(recs.count());
                float[] x = new float[recs.count() * dIn];
                int rows = 0;
                for (ConsumerRecord<String, byte[]> r : recs) {
                    HiddenStateSample s = de.deserialize(topic, r.value());
                    Activation a = s.getActivations().get(0);
                    float[] v = Float16Codec.decode(DType.valueOf(a.getDtype().name()), a.getData(), dIn);
                    System.arraycopy(v, 0, x, rows++ * dIn, dIn);
                    batch.add(s);
                }
                SaeProjection p = SaeProjection.of(sae, x, rows, maxLatents);
                for (int i = 0; i < rows; i++) {
                    HiddenStateSample s = batch.get(i);
                    List<Integer> ids = new ArrayList<>(p.width());
                    List<Float> vals = new ArrayList<>(p.width());
                    for (int j = 0; j < p.width() && p.value(i, j) > 0; j++) {
                        ids.add(p.id(i, j));
                        vals.add(p.value(i, j));
                    }
                    Activation a = s.getActivations().get(0);
                    LatentProjection lp = LatentProjection.newBuilder().setModelId(s.getModelId()).setModelVersion(s.getModelVersion())
                            .setHook(a.getHook()).setHead(null).setSaeVersion("peer").setRequestId(s.getRequestId())
                            .setNodeId(s.getNodeId()).setPosition(a.getPosition()).setSampleTimestampMs(s.getTimestampMs())
                            .setSource("peer").setLatents(ids).setValues(vals).setL0(p.l0(i)).setReconError(p.reconError(i))
                            .setBatchSize(rows).setCircuitMatches(List.of()).build();
                    producer.send(new ProducerRecord<>(out, s.getModelId() + "|" + a.getHook(), ser.serialize(out, lp)));
                }
                producer.flush();
                consumer.commitSync();
                done += rows;
                if (first == 0) { first = System.nanoTime(); firstBatch = done; }
            }
            if (done <= firstBatch) throw new IllegalStateException("the peer loop read " + done + " of " + samples + " samples in 300 s");
            // Counted from the first batch's commit, as the monitor's rate counts from its first projection.
            return (done - firstBatch) / ((System.nanoTime() - first) / 1e9);
        }
    }
}
