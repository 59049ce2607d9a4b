package io.latentwatch.cli.bench;

import io.latentwatch.publisher.SampleKey;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.serde.LatentwatchSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Latency at a steady rate: the wall clock when a sample's projection becomes visible to a
 * read_committed consumer (after the monitor's exactly-once commit) minus the sample's timestamp.
 */
final class LatencyProbe {
    private LatencyProbe() {}

    /**
     * Writes samples from {@code next} (given a request id) to {@code hiddenStates} at {@code rate} per second for
     * {@code phase}, and returns the sorted latencies (ms) of their projections as read from {@code projections}
     * (read_committed); each sample yields {@code rowsPerSample} projections.
     */
    static double[] run(String bootstrap, LatentwatchSerdes serdes, KafkaProducer<String, byte[]> producer,
                        Serializer<HiddenStateSample> ser, String hiddenStates, String projections,
                        Function<String, HiddenStateSample> next, double rate, Duration phase, int rowsPerSample) throws Exception {
        String topic = projections;
        Map<String, Object> cc = new HashMap<>();
        cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var deser = serdes.deserializer(LatentProjection.class);
        List<Double> lat = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cc, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(parts);
            c.seekToEnd(parts);
            parts.forEach(c::position);
            Thread reader = new Thread(() -> {
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(20))) {
                        long now = System.currentTimeMillis();
                        LatentProjection p = deser.deserialize(topic, r.value());
                        if (p.getRequestId().startsWith("l-")) lat.add((double) (now - p.getSampleTimestampMs().toEpochMilli()));
                    }
                }
            }, "bench-latency-reader");
            reader.start();
            long start = System.nanoTime();
            long n = 0;
            long end = start + phase.toNanos();
            while (System.nanoTime() < end) {
                HiddenStateSample smp = next.apply("l-" + n);
                producer.send(new ProducerRecord<>(hiddenStates, SampleKey.MODEL_REQUEST.of(smp), ser.serialize(hiddenStates, smp)));
                n++;
                long wait = start + (long) (n * 1e9 / rate) - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (lat.size() < n * rowsPerSample && System.nanoTime() < deadline) Thread.sleep(20);
            stop.set(true);
            reader.join(5000);
        }
        synchronized (lat) {
            return lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        }
    }
}
