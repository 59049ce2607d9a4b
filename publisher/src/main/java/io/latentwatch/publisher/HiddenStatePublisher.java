package io.latentwatch.publisher;

import io.latentwatch.common.KafkaConfig;

import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.Topic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What an inference node calls to publish hidden states. {@link #publish} never blocks the
 * caller: samples go into a bounded queue drained by one sender thread; when the queue is full the
 * sample is dropped and counted. A slow or absent broker therefore costs the node samples, never
 * latency. Serialization (F16 bytes to Avro) also happens on the sender thread.
 *
 * <p>The producer is idempotent with {@code acks=all} (no duplicates or reordering from retries)
 * and compresses with zstd. Records are keyed as {@link SampleKey} says: by model id unless told
 * otherwise (nodes use {@link SampleKey#MODEL_REQUEST}, which spreads one model over partitions).
 */
public final class HiddenStatePublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HiddenStatePublisher.class);
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;

    private final Producer<String, HiddenStateSample> producer;
    private final String topic;
    private final SampleKey key;
    private final BlockingQueue<HiddenStateSample> queue;
    private final Thread sender;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();

    /** The producer properties latentwatch uses, before environment overrides. */
    public static Map<String, Object> producerDefaults(String bootstrapServers) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        // Small batching delay: samples are not latency-critical, and batches compress better.
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "latentwatch-publisher");
        return p;
    }

    /**
     * A publisher with its own {@link KafkaProducer}.
     *
     * @param config        producer properties (see {@link #producerDefaults}; run them through
     *                      {@link KafkaConfig#withEnvironment} to honour environment overrides)
     * @param serializer    value serializer (the Confluent wire format, from LatentwatchSerdes)
     * @param topic         the hidden-states topic
     * @param queueCapacity samples that may wait for the sender before new ones are dropped
     */
    public static HiddenStatePublisher create(Map<String, Object> config, Serializer<HiddenStateSample> serializer,
                                              String topic, int queueCapacity) {
        return create(config, serializer, topic, queueCapacity, SampleKey.MODEL);
    }

    /** As {@link #create(Map, Serializer, String, int, SampleKey)}, with the topic's name and value serializer. */
    public static HiddenStatePublisher create(Map<String, Object> config, Topic<String, HiddenStateSample> topic,
                                              int queueCapacity, SampleKey key) {
        return create(config, topic.valueSerde().serializer(), topic.name(), queueCapacity, key);
    }

    /** As {@link #create(Map, Serializer, String, int)}, with records keyed by {@code key}. */
    public static HiddenStatePublisher create(Map<String, Object> config, Serializer<HiddenStateSample> serializer,
                                              String topic, int queueCapacity, SampleKey key) {
        Map<String, Object> p = new LinkedHashMap<>(config);
        // Idempotence needs these; refuse silently weaker settings rather than quietly losing it.
        if (!"true".equals(String.valueOf(p.getOrDefault(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")))) {
            LOG.warn("enable.idempotence was overridden to false: retries may duplicate samples");
        }
        return new HiddenStatePublisher(new KafkaProducer<>(p, new StringSerializer(), serializer), topic, queueCapacity, key);
    }

    /** A publisher over any producer (tests pass a MockProducer), keyed by model id. */
    public HiddenStatePublisher(Producer<String, HiddenStateSample> producer, String topic, int queueCapacity) {
        this(producer, topic, queueCapacity, SampleKey.MODEL);
    }

    /** A publisher over any producer, with records keyed by {@code key}. */
    public HiddenStatePublisher(Producer<String, HiddenStateSample> producer, String topic, int queueCapacity, SampleKey key) {
        this.key = Objects.requireNonNull(key, "key");
        if (queueCapacity <= 0) throw new IllegalArgumentException("queue capacity must be positive, got " + queueCapacity);
        this.producer = Objects.requireNonNull(producer, "producer");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.sender = new Thread(this::drain, "latentwatch-publisher-sender");
        this.sender.setDaemon(true);
        this.sender.start();
    }

    /**
     * CPU time the sender thread has used so far (serialization and the producer's send), in
     * nanoseconds; -1 where the JVM does not measure thread CPU time. What sampling costs a node off
     * the request path.
     */
    public long senderCpuNanos() {
        var mx = ManagementFactory.getThreadMXBean();
        return mx.isThreadCpuTimeSupported() ? mx.getThreadCpuTime(sender.getId()) : -1;
    }

    /**
     * Hands a sample to the sender. Never blocks: returns false (and counts a drop) when the
     * queue is full or the publisher is closing.
     */
    public boolean publish(HiddenStateSample sample) {
        Objects.requireNonNull(sample, "sample");
        if (closing.get() || !queue.offer(sample)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    private void drain() {
        try {
            while (!closing.get() || !queue.isEmpty()) {
                HiddenStateSample s = queue.poll(100, TimeUnit.MILLISECONDS);
                if (s != null) send(s);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(HiddenStateSample s) {
        inFlight.incrementAndGet();
        try {
            producer.send(new ProducerRecord<>(topic, null, s.getTimestampMs().toEpochMilli(), key.of(s), s), (meta, ex) -> {
                if (ex == null) published.incrementAndGet();
                else {
                    failed.incrementAndGet();
                    LOG.debug("sample {} not published: {}", s.getRequestId(), ex.toString());
                }
                inFlight.decrementAndGet();
            });
        } catch (RuntimeException e) {
            // Serialization errors, buffer exhaustion past max.block.ms, a closed producer.
            failed.incrementAndGet();
            inFlight.decrementAndGet();
            LOG.debug("sample {} not sent: {}", s.getRequestId(), e.toString());
        }
    }

    /** Waits until every queued sample has been acknowledged or failed; false on timeout. */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!queue.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        producer.flush();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
        return queue.isEmpty() && inFlight.get() == 0;
    }

    /** Samples acknowledged by the broker. */
    public long published() { return published.get(); }
    /** Samples dropped because the queue was full (or the publisher was closing). */
    public long dropped() { return dropped.get(); }
    /** Samples the producer could not send or the broker rejected. */
    public long failed() { return failed.get(); }
    /** Samples waiting in the queue. */
    public int queued() { return queue.size(); }

    @Override
    public void close() { close(Duration.ofSeconds(10)); }

    /** Stops accepting samples, sends what is queued (within the timeout) and closes the producer. */
    public void close(Duration timeout) {
        if (!closing.compareAndSet(false, true)) return;
        try {
            sender.join(timeout.toMillis());
            if (sender.isAlive()) {
                sender.interrupt();
                dropped.addAndGet(queue.size());
                queue.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            producer.close(timeout);
        }
    }
}
