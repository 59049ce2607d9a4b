package io.latentwatch.cli.demo;

import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Malformed records from a "broken node" at a steady rate: the dead-letter path's ground truth. */
public final class MalformedTraffic implements Runnable {
    final AtomicLong sent = new AtomicLong();
    final Map<String, Long> byReason = new ConcurrentHashMap<>();
    private final String bootstrap;
    private final Topics topics;
    private final LatentwatchSerdes serdes;
    private final AtomicBoolean stop;
    private final double malformedRate;
    private final long seed;

    MalformedTraffic(String bootstrap, Topics topics, LatentwatchSerdes serdes, AtomicBoolean stop, double malformedRate, long seed) {
        this.malformedRate = malformedRate;
        this.seed = seed;
        this.bootstrap = bootstrap;
        this.topics = topics;
        this.serdes = serdes;
        this.stop = stop;
    }

    @Override
    public void run() {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("bootstrap.servers", bootstrap);
        cfg.put("client.id", "latentwatch-demo-broken-node");
        SyntheticTraffic broken = new SyntheticTraffic("broken-model", seed);
        var serializer = serdes.serializer(HiddenStateSample.class);
        SyntheticTraffic.Defect[] defects = SyntheticTraffic.Defect.values();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            while (!stop.get()) {
                long n = sent.get();
                long due = start + (long) ((n + 1) * 1e9 / malformedRate);
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(Math.min(200, wait / 1_000_000 + 1));
                if (System.nanoTime() < due || stop.get()) continue;
                SyntheticTraffic.Defect d = defects[(int) (n % defects.length)];
                p.send(new ProducerRecord<>(topics.hiddenStates(), broken.modelId(), broken.malformed(d, serializer, topics.hiddenStates())));
                sent.incrementAndGet();
                byReason.merge(d.expectedReason(), 1L, Long::sum);
            }
            p.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
