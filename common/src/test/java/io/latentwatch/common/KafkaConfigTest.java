package io.latentwatch.common;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KafkaConfigTest {
    @Test
    void environmentNamesMapToKafkaPropertiesLikeConfluentImages() {
        assertEquals("compression.type", KafkaConfig.propertyName("COMPRESSION_TYPE"));
        assertEquals("bootstrap.servers", KafkaConfig.propertyName("BOOTSTRAP_SERVERS"));
        assertEquals("some_prop.x", KafkaConfig.propertyName("SOME__PROP_X"));
        assertEquals("a-b", KafkaConfig.propertyName("A___B"));
    }

    @Test
    void environmentOverridesDefaultsAndPrefixedFormWinsOverShortForm() {
        Map<String, Object> defaults = Map.of("bootstrap.servers", "localhost:9092", "acks", "all", "linger.ms", 20);
        Map<String, Object> out = KafkaConfig.withOverrides(defaults, Map.of(
                "LATENTWATCH_BOOTSTRAP_SERVERS", "kafka-1:9092",
                "LATENTWATCH_KAFKA_LINGER_MS", "5",
                "PATH", "/usr/bin"));
        assertEquals("kafka-1:9092", out.get("bootstrap.servers"));
        assertEquals("5", out.get("linger.ms"));
        assertEquals("all", out.get("acks"));
        assertEquals(3, out.size());

        Map<String, Object> both = KafkaConfig.withOverrides(defaults, Map.of(
                "LATENTWATCH_BOOTSTRAP_SERVERS", "short:1", "LATENTWATCH_KAFKA_BOOTSTRAP_SERVERS", "long:2"));
        assertEquals("long:2", both.get("bootstrap.servers"));
    }
}
