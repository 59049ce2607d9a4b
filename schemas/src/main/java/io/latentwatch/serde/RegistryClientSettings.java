package io.latentwatch.serde;

import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.latentwatch.common.KafkaConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How the Java serdes reach a locked-down schema registry: TLS (a trust store or PEM certificates
 * for a private CA) and authentication, HTTP basic or OAuth2 client credentials (the serde fetches a
 * bearer token from the token endpoint and sends it as {@code Authorization: Bearer}). Read from the
 * environment beside {@code LATENTWATCH_REGISTRY_URL}, secrets from files:
 *
 * <table>
 *   <caption>variables and the Apicurio serde property each sets</caption>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_USERNAME}</td><td>{@code apicurio.registry.auth.username}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_PASSWORD_FILE} (or {@code _PASSWORD})</td><td>{@code apicurio.registry.auth.password}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_TOKEN_ENDPOINT}</td><td>{@code apicurio.registry.auth.service.token.endpoint}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_CLIENT_ID}</td><td>{@code apicurio.registry.auth.client.id}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_CLIENT_SECRET_FILE} (or {@code _CLIENT_SECRET})</td><td>{@code apicurio.registry.auth.client.secret}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_CLIENT_SCOPE}</td><td>{@code apicurio.registry.auth.client.scope}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_TRUSTSTORE}</td><td>{@code apicurio.registry.tls.truststore.location}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_TRUSTSTORE_PASSWORD_FILE} (or {@code _PASSWORD})</td><td>{@code apicurio.registry.tls.truststore.password}</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_TRUSTSTORE_TYPE}</td><td>{@code apicurio.registry.tls.truststore.type} (default PKCS12 for {@code .p12}/{@code .pfx}, else JKS)</td></tr>
 *   <tr><td>{@code LATENTWATCH_REGISTRY_CERTIFICATES}</td><td>{@code apicurio.registry.tls.certificates} (PEM)</td></tr>
 * </table>
 */
public final class RegistryClientSettings {
    public static final String PREFIX = "LATENTWATCH_REGISTRY_";
    private static final Map<String, String> PLAIN = Map.of(
            "USERNAME", SchemaResolverConfig.AUTH_USERNAME,
            "TOKEN_ENDPOINT", SchemaResolverConfig.AUTH_TOKEN_ENDPOINT,
            "CLIENT_ID", SchemaResolverConfig.AUTH_CLIENT_ID,
            "CLIENT_SCOPE", SchemaResolverConfig.AUTH_CLIENT_SCOPE,
            "TRUSTSTORE", SchemaResolverConfig.TLS_TRUSTSTORE_LOCATION,
            "TRUSTSTORE_TYPE", SchemaResolverConfig.TLS_TRUSTSTORE_TYPE,
            "CERTIFICATES", SchemaResolverConfig.TLS_CERTIFICATES);
    private static final Map<String, String> SECRET = Map.of(
            "PASSWORD", SchemaResolverConfig.AUTH_PASSWORD,
            "CLIENT_SECRET", SchemaResolverConfig.AUTH_CLIENT_SECRET,
            "TRUSTSTORE_PASSWORD", SchemaResolverConfig.TLS_TRUSTSTORE_PASSWORD);

    private RegistryClientSettings() {}

    /** The serde properties {@code env} sets (empty for an open registry). */
    public static Map<String, Object> fromEnvironment(Map<String, String> env) {
        Map<String, Object> out = new LinkedHashMap<>();
        PLAIN.forEach((suffix, property) -> {
            String v = env.get(PREFIX + suffix);
            if (v != null && !v.isBlank()) out.put(property, v.trim());
        });
        SECRET.forEach((suffix, property) -> {
            String direct = env.get(PREFIX + suffix), file = env.get(PREFIX + suffix + KafkaConfig.FILE_SUFFIX);
            if (direct != null && file != null) {
                throw new IllegalArgumentException("both " + PREFIX + suffix + " and " + PREFIX + suffix + KafkaConfig.FILE_SUFFIX
                        + " are set: keep one (the file)");
            }
            if (file != null && !file.isBlank()) out.put(property, KafkaConfig.readSecretFile(PREFIX + suffix + KafkaConfig.FILE_SUFFIX, file));
            else if (direct != null && !direct.isBlank()) out.put(property, direct);
        });
        Object store = out.get(SchemaResolverConfig.TLS_TRUSTSTORE_LOCATION);
        if (store != null && !out.containsKey(SchemaResolverConfig.TLS_TRUSTSTORE_TYPE)) {
            String s = store.toString().toLowerCase(Locale.ROOT);
            out.put(SchemaResolverConfig.TLS_TRUSTSTORE_TYPE, s.endsWith(".p12") || s.endsWith(".pfx") ? "PKCS12" : "JKS");
        }
        if (out.containsKey(SchemaResolverConfig.AUTH_USERNAME) != out.containsKey(SchemaResolverConfig.AUTH_PASSWORD)) {
            throw new IllegalArgumentException("registry basic authentication needs both " + PREFIX + "USERNAME and " + PREFIX
                    + "PASSWORD_FILE (or " + PREFIX + "PASSWORD)");
        }
        return out;
    }
}
