package io.latentwatch.serde;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import io.apicurio.registry.rest.client.models.ProblemDetails;
import io.apicurio.registry.serde.Default4ByteIdHandler;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.apicurio.registry.serde.config.IdOption;
import io.apicurio.registry.serde.config.SerdeConfig;
import io.apicurio.registry.serde.kafka.config.KafkaSerdeConfig;
import io.apicurio.registry.serde.strategy.TopicIdStrategy;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The one factory for the serdes of every latentwatch record type (values; keys are plain
 * strings). Values are written in the Confluent wire format — magic byte 0, the 4-byte schema id,
 * Avro binary — by Apicurio's Avro serde, so producers and consumers written with Confluent's
 * serializers in any language read and write the same topics.
 *
 * <p>The registry is either
 * <ul>
 *   <li>{@code "embedded"}: the JVM-wide in-memory {@link EmbeddedSchemaRegistry}, for the demo
 *       and unit tests (no server, no network), or</li>
 *   <li>an http(s) URL of an Apicurio Registry 3 server: its base URL ({@code http://localhost:8080}),
 *       its core API ({@code …/apis/registry/v3}) or its Confluent-compatible API
 *       ({@code …/apis/ccompat/v7}, the URL Confluent clients in other languages are given). The serde
 *       always talks to the core API of that server; the ids are the same through both APIs.</li>
 * </ul>
 *
 * <p>Settings, and why (all in {@link #kafkaConfig()}):
 * <ul>
 *   <li>subject = {@code <topic>-value} ({@link TopicIdStrategy}), Confluent's default
 *       TopicNameStrategy;</li>
 *   <li>the id written is the {@code contentId} ({@code apicurio.registry.use-id=contentId}), with
 *       the 4-byte {@link Default4ByteIdHandler}: Apicurio 3's Confluent-compatible API serves
 *       contentIds as schema ids;</li>
 *   <li>{@code apicurio.registry.dereference-schema=true}: the full schema (nested Activation,
 *       SamplingMetadata, ... inlined) is registered as one artifact, as Confluent's serializer
 *       does; without it Apicurio 3 registers each nested named type as a separate referenced
 *       artifact;</li>
 *   <li>ids are not put in headers ({@code apicurio.registry.headers.enabled=false}): the bytes
 *       alone carry them;</li>
 *   <li>schemas are registered on first use ({@code auto-register}, {@code FIND_OR_CREATE_VERSION}),
 *       as the {@code .avsc} text ({@link RegisteredSchemas}: without the generated classes'
 *       {@code avro.java.string} hints), so a client in another language finds the same id for the
 *       same {@code .avsc};</li>
 *   <li>TLS and authentication towards the registry (basic, OAuth2 client credentials) come from the
 *       environment ({@link RegistryClientSettings}); {@link #kafkaConfig()} then holds the password:
 *       log it only through {@code KafkaConfig.masked};</li>
 *   <li>values are read into the generated classes ({@code use-specific-avro-reader}), the
 *       writer's schema resolved from the registry and the reader's from the class, so Avro
 *       schema evolution applies.</li>
 * </ul>
 */
public final class LatentwatchSerdes {

    /** The registry URL that selects the in-process registry. */
    public static final String EMBEDDED = "embedded";
    /** The environment variable {@link #fromEnvironment()} reads. */
    public static final String REGISTRY_URL_ENV = "LATENTWATCH_REGISTRY_URL";
    private static final String CORE_API_PATH = "/apis/registry/v3";
    private static final String CCOMPAT_PATH = "/apis/ccompat/";

    private final String registryUrl;
    private final Map<String, Object> config;

    private LatentwatchSerdes(String registryUrl, Map<String, Object> config) {
        this.registryUrl = registryUrl;
        this.config = Map.copyOf(config);
    }

    /**
     * Serdes backed by {@code "embedded"} (the in-process registry) or the http(s) URL of an
     * Apicurio Registry 3 server.
     */
    public static LatentwatchSerdes forRegistry(String registryUrl) {
        return forRegistry(registryUrl, System.getenv());
    }

    /**
     * As {@link #forRegistry(String)}, with TLS and authentication towards an http(s) registry from
     * {@code env} ({@link RegistryClientSettings}: {@code LATENTWATCH_REGISTRY_USERNAME},
     * {@code _PASSWORD_FILE}, {@code _TRUSTSTORE}, OAuth2 client credentials ...).
     */
    public static LatentwatchSerdes forRegistry(String registryUrl, Map<String, String> env) {
        Objects.requireNonNull(registryUrl, "registryUrl (\"embedded\" or an http URL of an Apicurio Registry)");
        String url = registryUrl.trim();
        Map<String, Object> c = new HashMap<>();
        c.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, true);
        c.put(SerdeConfig.AUTO_REGISTER_ARTIFACT_IF_EXISTS, "FIND_OR_CREATE_VERSION");
        c.put(SerdeConfig.ARTIFACT_RESOLVER_STRATEGY, TopicIdStrategy.class.getName());
        c.put(SerdeConfig.ID_HANDLER, Default4ByteIdHandler.class.getName());
        c.put(SerdeConfig.USE_ID, IdOption.contentId.name());
        c.put(SerdeConfig.DEREFERENCE_SCHEMA, true);
        c.put(KafkaSerdeConfig.ENABLE_HEADERS, false);
        c.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, true);
        c.put(AvroSerdeConfig.AVRO_ENCODING, AvroSerdeConfig.AVRO_ENCODING_BINARY);
        c.put(AvroSerdeConfig.AVRO_DATUM_PROVIDER, CachingAvroDatumProvider.class.getName());
        if (url.equalsIgnoreCase(EMBEDDED)) {
            c.put(SerdeConfig.SCHEMA_RESOLVER, EmbeddedSchemaResolver.class.getName());
            return new LatentwatchSerdes(EMBEDDED, c);
        }
        if (!(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException("Schema registry '" + registryUrl
                    + "' is neither \"embedded\" nor an http(s) URL of an Apicurio Registry (e.g. http://localhost:8080)");
        }
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        int ccompat = url.indexOf(CCOMPAT_PATH);
        if (ccompat >= 0) {
            // The URL every Confluent client is given: same server, same ids (contentIds), so the
            // serde talks to its core API beside it.
            url = url.substring(0, ccompat) + CORE_API_PATH;
        } else if (!url.contains("/apis/")) {
            url = url + CORE_API_PATH;
        }
        c.put(SerdeConfig.REGISTRY_URL, url);
        c.putAll(RegistryClientSettings.fromEnvironment(env));
        return new LatentwatchSerdes(url, c);
    }

    /** Serdes for {@value #REGISTRY_URL_ENV}, or the embedded registry when it is unset. */
    public static LatentwatchSerdes fromEnvironment() {
        String url = System.getenv(REGISTRY_URL_ENV);
        return forRegistry(url == null || url.isBlank() ? EMBEDDED : url);
    }

    /** {@code "embedded"} or the registry's core API URL actually used. */
    public String registryUrl() {
        return registryUrl;
    }

    public boolean isEmbedded() {
        return EMBEDDED.equals(registryUrl);
    }

    /**
     * The {@code apicurio.registry.*} properties behind these serdes, for clients that name their
     * serializer by class in Kafka properties: add them with
     * {@code value.serializer=io.apicurio.registry.serde.avro.AvroKafkaSerializer} (or
     * {@code AvroKafkaDeserializer}, or Kafka Streams' {@code default.value.serde=}
     * {@code io.apicurio.registry.serde.avro.AvroSerde}) and the result is byte-for-byte the same.
     */
    public Map<String, Object> kafkaConfig() {
        return config;
    }

    /** A configured value serializer for one record type. */
    public <T extends SpecificRecord> Serializer<T> serializer(Class<T> type) {
        Objects.requireNonNull(type, "type");
        AvroKafkaSerializer<T> s = new AvroKafkaSerializer<>();
        s.configure(new HashMap<>(config), false);
        return new Configured<>(s);
    }

    /**
     * A configured value deserializer for one record type; a record of another type on the topic
     * is a {@link SerializationException} naming both types (so a consumer can dead-letter it).
     */
    public <T extends SpecificRecord> Deserializer<T> deserializer(Class<T> type) {
        Objects.requireNonNull(type, "type");
        AvroKafkaDeserializer<Object> d = new AvroKafkaDeserializer<>();
        d.configure(new HashMap<>(config), false);
        return new Typed<>(type, d);
    }

    /**
     * A value deserializer for any latentwatch topic: each record is read with its writer's schema
     * from the registry into a {@link GenericRecord} (no generated class needed), for operator tools
     * such as {@code latentwatch consume}.
     */
    public Deserializer<GenericRecord> genericDeserializer() {
        Map<String, Object> c = new HashMap<>(config);
        c.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, false);
        AvroKafkaDeserializer<GenericRecord> d = new AvroKafkaDeserializer<>();
        d.configure(c, false);
        return d;
    }

    /** Serializer and deserializer together, for Kafka Streams. */
    public <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
        return Serdes.serdeFrom(serializer(type), deserializer(type));
    }

    @Override
    public String toString() {
        return "LatentwatchSerdes[" + registryUrl + "]";
    }

    /**
     * Already configured: a later {@code configure(..., isKey)} from a client is ignored, so that
     * these value serdes cannot be re-pointed at a {@code -key} subject or lose their settings.
     */
    private static final class Configured<T> implements Serializer<T> {
        private final Serializer<T> delegate;

        Configured(Serializer<T> delegate) {
            this.delegate = delegate;
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
        }

        @Override
        public byte[] serialize(String topic, T data) {
            return delegate.serialize(topic, data);
        }

        @Override
        public byte[] serialize(String topic, Headers headers, T data) {
            return delegate.serialize(topic, headers, data);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** Checks the decoded record's type; ignores {@code configure} like {@link Configured}. */
    private static final class Typed<T> implements Deserializer<T> {
        private final Class<T> type;
        private final Deserializer<Object> delegate;

        Typed(Class<T> type, Deserializer<Object> delegate) {
            this.type = type;
            this.delegate = delegate;
        }

        @Override
        public void configure(Map<String, ?> configs, boolean isKey) {
        }

        @Override
        public T deserialize(String topic, byte[] data) {
            return deserialize(topic, null, data);
        }

        @Override
        public T deserialize(String topic, Headers headers, byte[] data) {
            Object value;
            try {
                value = headers == null ? delegate.deserialize(topic, data) : delegate.deserialize(topic, headers, data);
            } catch (SerializationException e) {
                throw e;
            } catch (RuntimeException e) {
                // Apicurio lets lookup and Avro errors through as they are; one exception type,
                // with the topic and schema id, is easier to dead-letter.
                throw new SerializationException("Topic " + topic + ": cannot decode a " + type.getSimpleName() + " from "
                        + describe(data) + ": " + reason(e, data), e);
            }
            return check(topic, value);
        }

        /**
         * What went wrong, in words: the registry client's errors are {@link ProblemDetails} whose
         * message is "ProblemDetails: null"; a 404 for the id is the common case (a producer
         * registered its schema in another registry, or the registry lost its in-memory storage).
         */
        private static String reason(RuntimeException e, byte[] data) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof ProblemDetails p) {
                    int status = p.getStatus() != null ? p.getStatus() : p.getResponseStatusCode();
                    if (status == 404 && WireFormat.isFramed(data)) {
                        return "schema id " + WireFormat.schemaId(data) + " not found in the schema registry (HTTP 404"
                                + (p.getDetail() == null ? "" : ": " + p.getDetail()) + "); was it registered in another registry?";
                    }
                    return "the schema registry answered HTTP " + status + ": "
                            + (p.getTitle() == null ? "" : p.getTitle()) + (p.getDetail() == null ? "" : " " + p.getDetail());
                }
            }
            return e.getMessage();
        }

        private static String describe(byte[] data) {
            if (data == null) {
                return "null";
            }
            return WireFormat.isFramed(data) ? data.length + " bytes with schema id " + WireFormat.schemaId(data)
                    : data.length + " bytes without the Confluent header (magic byte 0 + 4-byte id)";
        }

        private T check(String topic, Object value) {
            if (value == null || type.isInstance(value)) {
                return type.cast(value);
            }
            throw new SerializationException("Topic " + topic + ": expected a " + type.getSimpleName()
                    + " but the record is a " + value.getClass().getName());
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
