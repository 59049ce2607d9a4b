package io.latentwatch.serde;

import io.apicurio.registry.resolver.DefaultSchemaResolver;

/**
 * Apicurio's own {@link DefaultSchemaResolver}, wired to the JVM-wide
 * {@link EmbeddedSchemaRegistry} instead of an HTTP client. It has a no-argument constructor so it
 * can be named in plain Kafka properties
 * ({@code apicurio.registry.schema-resolver=io.latentwatch.serde.EmbeddedSchemaResolver}), which
 * is how {@link LatentwatchSerdes#kafkaConfig()} selects the embedded registry for serdes that
 * Kafka (or Kafka Streams) instantiates by class name.
 */
public class EmbeddedSchemaResolver<S, T> extends DefaultSchemaResolver<S, T> {

    public EmbeddedSchemaResolver() {
        super(EmbeddedSchemaRegistry.shared());
    }
}
