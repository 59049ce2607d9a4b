package io.latentwatch.monitor;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;

/**
 * Turns a rejected record back into its original bytes and headers, plus headers that say why
 * and where it came from, so it can be inspected and replayed from the dead-letter topic.
 */
final class DeadLetter implements FixedKeyProcessor<String, CheckedSample, byte[]> {
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
        var headers = record.headers();
        put(headers, REASON, c.reason().label());
        put(headers, DETAIL, c.detail() == null ? "" : c.detail());
        put(headers, SOURCE_TOPIC, meta == null ? "" : meta.topic());
        put(headers, SOURCE_PARTITION, meta == null ? "" : Integer.toString(meta.partition()));
        put(headers, SOURCE_OFFSET, meta == null ? "" : Long.toString(meta.offset()));
        put(headers, SOURCE_TIMESTAMP, Long.toString(record.timestamp()));
        context.forward(record.withValue(c.original()).withHeaders(headers));
        metrics.deadLettered(c.reason().label());
        metrics.latencySeconds((System.nanoTime() - c.startNanos()) / 1e9);
    }

    private static void put(org.apache.kafka.common.header.Headers h, String key, String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
}
