package io.latentwatch.monitor;

import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.SaeVersion;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global store of SaeVersion records (compacted topic, every instance reads all of it) and
 * hands each new version to the {@link SaeRegistry}, which verifies and swaps it in. On start the
 * store is restored from the topic first; {@link #init} then loads every version in it.
 *
 * <p>Values are read in the Confluent wire format (magic byte 0 + schema id + Avro) through the
 * registry serde, or as plain Avro binary as the trainer's default publisher writes them.
 */
final class SaeVersionsProcessor implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(SaeVersionsProcessor.class);
    private final SaeRegistry registry;
    private final Deserializer<SaeVersion> deserializer;
    private final String storeName;
    private KeyValueStore<String, byte[]> store;

    SaeVersionsProcessor(SaeRegistry registry, Deserializer<SaeVersion> deserializer, String storeName) {
        this.registry = registry;
        this.deserializer = deserializer;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.store = context.getStateStore(storeName);
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                SaeVersion v = decode(kv.value);
                if (v != null) registry.apply(v);
            }
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        store.put(record.key(), record.value());
        if (record.value() == null) return;
        SaeVersion v = decode(record.value());
        if (v != null) registry.apply(v);
    }

    SaeVersion decode(byte[] bytes) {
        if (bytes == null) return null;
        try {
            if (bytes.length > 5 && bytes[0] == 0) return deserializer.deserialize("sae-versions", bytes);
        } catch (RuntimeException e) {
            // fall through to plain Avro binary
        }
        try {
            return new SpecificDatumReader<>(SaeVersion.class).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
        } catch (Exception e) {
            LOG.warn("undecodable SaeVersion record ({} bytes) ignored: {}", bytes.length, e.toString());
            return null;
        }
    }
}
