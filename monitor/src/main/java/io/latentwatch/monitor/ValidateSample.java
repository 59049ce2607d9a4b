package io.latentwatch.monitor;

import io.latentwatch.monitor.validate.DeadLetterReason;
import io.latentwatch.monitor.validate.InputLimits;
import io.latentwatch.monitor.validate.SampleValidator;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.List;

/**
 * Decodes the raw bytes and validates the sample; never throws, so a bad record cannot stop the
 * stream. Oversized records are refused before decoding, and samples of a (model, hook) series
 * beyond the task's series budget are refused after it (see {@link InputLimits}).
 */
final class ValidateSample implements FixedKeyProcessor<String, byte[], CheckedSample> {
    private final Deserializer<HiddenStateSample> deserializer;
    private final SampleValidator validator = new SampleValidator();
    private final InputLimits limits;
    private final String seriesStore;
    private FixedKeyProcessorContext<String, CheckedSample> context;
    private SeriesBudget series;

    ValidateSample(Deserializer<HiddenStateSample> deserializer, InputLimits limits, String seriesStore) {
        this.deserializer = deserializer;
        this.limits = limits;
        this.seriesStore = seriesStore;
    }

    @Override
    public void init(FixedKeyProcessorContext<String, CheckedSample> context) {
        this.context = context;
        limits.installAvroLimits();
        KeyValueStore<String, Long> store = context.getStateStore(seriesStore);
        this.series = new SeriesBudget(store, limits.maxSeries());
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        long start = System.nanoTime();
        byte[] bytes = record.value();
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("?");
        if (bytes != null && bytes.length > limits.maxRecordBytes()) {
            context.forward(record.withValue(new CheckedSample(bytes, null, List.of(), DeadLetterReason.OVERSIZED,
                    bytes.length + " bytes exceed " + MonitorConfig.INPUT_MAX_RECORD_BYTES + " = " + limits.maxRecordBytes(), start)));
            return;
        }
        HiddenStateSample sample;
        try {
            sample = bytes == null ? null : deserializer.deserialize(topic, bytes);
        } catch (RuntimeException e) {
            context.forward(record.withValue(new CheckedSample(bytes, null, List.of(), DeadLetterReason.UNDECODABLE,
                    e.getClass().getSimpleName() + ": " + rootMessage(e), start)));
            return;
        }
        if (sample == null) {
            context.forward(record.withValue(new CheckedSample(bytes, null, List.of(), DeadLetterReason.UNDECODABLE,
                    "null value", start)));
            return;
        }
        SampleValidator.Result r;
        try {
            r = validator.validate(sample);
        } catch (RuntimeException e) {
            // Validation itself must not kill the stream thread: anything unexpected is undecodable.
            r = new SampleValidator.Result(List.of(), DeadLetterReason.UNDECODABLE, "validation failed: " + rootMessage(e));
        }
        if (r.valid()) {
            String over = series.admit(sample);
            if (over != null) r = new SampleValidator.Result(List.of(), DeadLetterReason.SERIES_LIMIT, over);
        }
        context.forward(record.withValue(new CheckedSample(bytes, sample, r.values(), r.reason(), r.detail(), start)));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getClass().getSimpleName() + ": " + t.getMessage() + ")";
        return m.length() > 500 ? m.substring(0, 500) + "..." : m;
    }
}
