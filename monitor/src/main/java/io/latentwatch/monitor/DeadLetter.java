package io.latentwatch.monitor;

import io.latentwatch.monitor.validate.DeadLetterReason;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;

/**
 * The one home of dead letters: the header names, their values, and the processor that turns a
 * rejected record back into its original bytes and headers plus headers that say why
 * ({@link DeadLetterReason}) and where it came from, so it can be inspected and replayed from the
 * dead-letter topic. The projection step dead-letters through {@link #headers} too.
 */
public final class DeadLetter implements FixedKeyProcessor<String, CheckedSample, byte[]> {
    public static final String REASON = "latentwatch.dlq.reason";
    public static final String DETAIL = "latentwatch.dlq.detail";
    public static final String SOURCE_TOPIC = "latentwatch.dlq.source.topic";
    public static final String SOURCE_PARTITION = "latentwatch.dlq.source.partition";
    public static final String SOURCE_OFFSET = "latentwatch.dlq.source.offset";
    public static final String SOURCE_TIMESTAMP = "latentwatch.dlq.source.timestamp";

    private final MonitorMetrics metrics;
    private FixedKeyProcessorContext<String, byte[]> context;

    DeadLetter(MonitorMetrics metrics) { this.metrics = metrics; }

    @Override
    public void init(FixedKeyProcessorContext<String, byte[]> context) { this.context = context; }

    @Override
    public void process(FixedKeyRecord<String, CheckedSample> record) {
        CheckedSample c = record.value();
        RecordMetadata meta = context.recordMetadata().orElse(null);
        Headers headers = headers(record.headers(), c.reason(), c.detail(), meta == null ? null : meta.topic(),
                meta == null ? null : meta.partition(), meta == null ? null : meta.offset(), record.timestamp());
        context.forward(record.withValue(c.original()).withHeaders(headers));
        metrics.deadLettered(c.reason().label());
        metrics.latencySeconds((System.nanoTime() - c.startNanos()) / 1e9);
    }

    /**
     * {@code original} (the record's own headers, kept; null for none) with the reason, detail and source
     * headers set, replacing any of the same name. Unknown source fields (no record metadata) are empty.
     */
    static Headers headers(Headers original, DeadLetterReason reason, String detail, String topic, Integer partition, Long offset,
                           long timestamp) {
        Headers h = original == null ? new RecordHeaders() : original;
        put(h, REASON, reason.label());
        put(h, DETAIL, detail == null ? "" : detail);
        put(h, SOURCE_TOPIC, topic == null ? "" : topic);
        put(h, SOURCE_PARTITION, partition == null ? "" : Integer.toString(partition));
        put(h, SOURCE_OFFSET, offset == null ? "" : Long.toString(offset));
        put(h, SOURCE_TIMESTAMP, Long.toString(timestamp));
        return h;
    }

    private static void put(Headers h, String key, String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
