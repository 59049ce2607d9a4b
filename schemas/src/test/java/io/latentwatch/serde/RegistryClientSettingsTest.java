package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryClientSettingsTest {

    @Test
    void basicAuthAndTlsComeFromTheEnvironmentWithSecretsFromFiles(@TempDir Path dir) throws Exception {
        Path pw = Files.writeString(dir.resolve("pw"), "registry-secret\n");
        Path tpw = Files.writeString(dir.resolve("tpw"), "store-secret\n");
        Map<String, Object> c = RegistryClientSettings.fromEnvironment(Map.of(
                "LATENTWATCH_REGISTRY_USERNAME", "latentwatch",
                "LATENTWATCH_REGISTRY_PASSWORD_FILE", pw.toString(),
                "LATENTWATCH_REGISTRY_TRUSTSTORE", "/tls/truststore.p12",
                "LATENTWATCH_REGISTRY_TRUSTSTORE_PASSWORD_FILE", tpw.toString()));
        assertEquals(Map.of("apicurio.registry.auth.username", "latentwatch", "apicurio.registry.auth.password", "registry-secret",
                "apicurio.registry.tls.truststore.location", "/tls/truststore.p12", "apicurio.registry.tls.truststore.password", "store-secret",
                "apicurio.registry.tls.truststore.type", "PKCS12"), c);
        // The serdes carry them; an open registry carries none.
        LatentwatchSerdes s = LatentwatchSerdes.forRegistry("https://registry:8443", Map.of("LATENTWATCH_REGISTRY_USERNAME", "u",
                "LATENTWATCH_REGISTRY_PASSWORD", "p"));
        assertEquals("u", s.kafkaConfig().get("apicurio.registry.auth.username"));
        assertFalse(s.toString().contains("p]"), s.toString());
        assertFalse(LatentwatchSerdes.forRegistry("http://r:8080", Map.of()).kafkaConfig().containsKey("apicurio.registry.auth.username"));
        assertEquals(Map.of("apicurio.registry.auth.client.id", "lw", "apicurio.registry.auth.service.token.endpoint", "https://idp/token"),
                RegistryClientSettings.fromEnvironment(Map.of("LATENTWATCH_REGISTRY_CLIENT_ID", "lw",
                        "LATENTWATCH_REGISTRY_TOKEN_ENDPOINT", "https://idp/token")));
    }

    @Test
    void halfAConfigurationIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RegistryClientSettings.fromEnvironment(Map.of("LATENTWATCH_REGISTRY_USERNAME", "u")));
        assertTrue(e.getMessage().contains("LATENTWATCH_REGISTRY_PASSWORD_FILE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RegistryClientSettings.fromEnvironment(Map.of(
                "LATENTWATCH_REGISTRY_PASSWORD", "a", "LATENTWATCH_REGISTRY_PASSWORD_FILE", "/x", "LATENTWATCH_REGISTRY_USERNAME", "u")));
        assertTrue(e.getMessage().contains("keep one"), e.getMessage());
    }
}
