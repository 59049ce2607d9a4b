package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Explanation;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Keeps each hash-chained explanation by alert id in a window store (its retention bounds the store)
 * so the incident page can show an incident's latents, lens tokens, Patchscope text and audit
 * position without reading the explanations topic.
 */
final class ExplanationIndexProcessor implements Processor<String, Explanation, Void, Void> {
    private final String storeName;
    private WindowStore<String, Explanation> store;

    ExplanationIndexProcessor(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, Explanation> record) {
        store.put(record.value().getAlertId(), record.value(), record.value().getTimestampMs().toEpochMilli());
    }
}
