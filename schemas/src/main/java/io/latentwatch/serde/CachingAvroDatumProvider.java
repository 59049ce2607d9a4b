package io.latentwatch.serde;

import io.apicurio.registry.serde.avro.AvroDatumProvider;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Apicurio's {@link DefaultAvroDatumProvider} with the datum writers and readers kept per schema.
 *
 * <p>The default provider builds a reader for every record it decodes and, to find a cached writer,
 * computes the schema's parsing fingerprint (a normalisation of the whole schema) for every record
 * it encodes; on the monitor's and the node's hot paths that was a visible share of the per-record
 * CPU. Schemas are long-lived objects (the generated classes' {@code SCHEMA$}, the resolver's cached
 * registry schemas), so they are keyed by identity; a resolver that re-fetches a schema after its
 * cache period hands over a new object, so each cache is cleared when it passes {@value #MAX_SCHEMAS}
 * entries rather than growing for the life of the process. Avro's datum readers and writers are not
 * documented as thread-safe, so each thread has its own cache. The bytes written and the records read
 * are exactly those of the default provider (this class only decides when to build them), except
 * that the schema registered is {@link RegisteredSchemas#of the .avsc text} (see {@link #toSchema}).
 */
public final class CachingAvroDatumProvider<T> implements AvroDatumProvider<T> {
    static final int MAX_SCHEMAS = 64;

    private final DefaultAvroDatumProvider<T> delegate = new DefaultAvroDatumProvider<>();
    private final ThreadLocal<Map<Schema, DatumWriter<T>>> writers = ThreadLocal.withInitial(IdentityHashMap::new);
    private final ThreadLocal<Map<Schema, DatumReader<T>>> readers = ThreadLocal.withInitial(IdentityHashMap::new);

    @Override
    public void configure(AvroSerdeConfig config) {
        delegate.configure(config);
    }

    @Override
    public DatumWriter<T> createDatumWriter(T data, Schema schema) {
        return bounded(writers.get()).computeIfAbsent(schema, s -> delegate.createDatumWriter(data, s));
    }

    @Override
    public DatumReader<T> createDatumReader(Schema schema) {
        return bounded(readers.get()).computeIfAbsent(schema, delegate::createDatumReader);
    }

    private static <V> Map<Schema, V> bounded(Map<Schema, V> cache) {
        if (cache.size() >= MAX_SCHEMAS) cache.clear();
        return cache;
    }

    /**
     * The schema registered and written with: the record's schema without the Avro compiler's
     * Java-only string hints ({@link RegisteredSchemas}), so the registry holds the {@code .avsc} text
     * that clients in other languages look up.
     */
    @Override
    public Schema toSchema(T data) {
        return RegisteredSchemas.of(delegate.toSchema(data));
    }
}
