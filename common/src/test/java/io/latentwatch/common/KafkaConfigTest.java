package io.latentwatch.common;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void secretsComeFromFilesNamedByFileVariablesAndAreMaskedInDumps(@TempDir Path dir) throws Exception {
        Path jaas = dir.resolve("jaas");
        String jaasText = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"node\" password=\"s3cret\";";
        Files.writeString(jaas, jaasText + "\n");
        Map<String, Object> out = KafkaConfig.withOverrides(Map.of("bootstrap.servers", "k:9093"), Map.of(
                "LATENTWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "LATENTWATCH_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "LATENTWATCH_KAFKA_SASL_JAAS_CONFIG_FILE", jaas.toString(),
                "LATENTWATCH_KAFKA_SASL_OAUTHBEARER_ASSERTION_FILE", "/a/path/kept/as/is"));
        assertEquals(jaasText, out.get("sasl.jaas.config"), "the file's content, newline stripped");
        assertEquals("/a/path/kept/as/is", out.get("sasl.oauthbearer.assertion.file"), "a Kafka property of its own");
        assertEquals("SASL_SSL", out.get("security.protocol"));
        Map<String, Object> masked = KafkaConfig.masked(out);
        assertEquals(KafkaConfig.HIDDEN, masked.get("sasl.jaas.config"));
        assertEquals("SCRAM-SHA-512", masked.get("sasl.mechanism"));
        assertEquals(KafkaConfig.HIDDEN, KafkaConfig.masked(Map.of("ssl.truststore.password", "x")).get("ssl.truststore.password"));
        assertEquals(KafkaConfig.HIDDEN, KafkaConfig.masked(Map.of("apicurio.registry.auth.password", "x")).get("apicurio.registry.auth.password"));
        assertEquals("/tls/trust.p12", KafkaConfig.masked(Map.of("ssl.truststore.location", "/tls/trust.p12")).get("ssl.truststore.location"));
        assertEquals(Map.of("bootstrap.servers", "k:9093", "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", jaasText, "sasl.oauthbearer.assertion.file", "/a/path/kept/as/is"),
                KafkaConfig.connection(withAcks(out)));

        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> KafkaConfig.withOverrides(Map.of(), Map.of("LATENTWATCH_KAFKA_SSL_KEY_PASSWORD_FILE", dir.resolve("none").toString())));
        assertTrue(missing.getMessage().contains("LATENTWATCH_KAFKA_SSL_KEY_PASSWORD_FILE"), missing.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> KafkaConfig.withOverrides(Map.of(), Map.of("LATENTWATCH_KAFKA_SASL_JAAS_CONFIG_FILE", jaas.toString(),
                        "LATENTWATCH_KAFKA_SASL_JAAS_CONFIG", "inline")));
        assertFalse(both.getMessage().contains("s3cret"), both.getMessage());
    }

    private static Map<String, Object> withAcks(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>(m);
        out.put("acks", "all");
        return out;
    }
}
