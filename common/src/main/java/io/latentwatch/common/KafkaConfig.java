package io.latentwatch.common;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka client properties with environment overrides, shared by the publisher and the monitor.
 *
 * <p>Operators configure latentwatch the way they configure Kafka clients: with Kafka property
 * names. Any property can be overridden by an environment variable named after it, following the
 * convention of Confluent's container images: {@code LATENTWATCH_KAFKA_} + the property name in
 * upper case with {@code .} written as {@code _}, {@code _} as {@code __} and {@code -} as
 * {@code ___}. {@code LATENTWATCH_KAFKA_COMPRESSION_TYPE=lz4} sets {@code compression.type};
 * {@code LATENTWATCH_BOOTSTRAP_SERVERS} is a short form of
 * {@code LATENTWATCH_KAFKA_BOOTSTRAP_SERVERS}. Environment values win over code defaults, so a
 * deployment can change anything without a rebuild.
 */
public final class KafkaConfig {
    public static final String BOOTSTRAP_ENV = "LATENTWATCH_BOOTSTRAP_SERVERS";
    public static final String REGISTRY_ENV = "LATENTWATCH_REGISTRY_URL";
    public static final String PROPERTY_ENV_PREFIX = "LATENTWATCH_KAFKA_";

    private KafkaConfig() {}

    /** {@code defaults} overlaid with the overrides found in the process environment. */
    public static Map<String, Object> withEnvironment(Map<String, ?> defaults) {
        return withOverrides(defaults, System.getenv());
    }

    /** {@code defaults} overlaid with the overrides found in {@code env} (testable form). */
    public static Map<String, Object> withOverrides(Map<String, ?> defaults, Map<String, String> env) {
        Map<String, Object> out = new LinkedHashMap<>(defaults);
        String bootstrap = env.get(BOOTSTRAP_ENV);
        if (bootstrap != null && !bootstrap.isBlank()) out.put("bootstrap.servers", bootstrap.trim());
        // Prefixed variables are applied after the short form, so the explicit one wins.
        env.entrySet().stream()
                .filter(e -> e.getKey().startsWith(PROPERTY_ENV_PREFIX) && e.getKey().length() > PROPERTY_ENV_PREFIX.length())
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.put(propertyName(e.getKey().substring(PROPERTY_ENV_PREFIX.length())), e.getValue()));
        return out;
    }

    /** {@code COMPRESSION_TYPE} -> {@code compression.type}; {@code __} -> {@code _}; {@code ___} -> {@code -}. */
    static String propertyName(String envSuffix) {
        StringBuilder sb = new StringBuilder();
        String s = envSuffix.toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != '_') { sb.append(c); i++; continue; }
            int run = 0;
            while (i + run < s.length() && s.charAt(i + run) == '_') run++;
            // Runs of underscores: 1 -> '.', 2 -> '_', 3 -> '-'; longer runs repeat the pattern.
            for (int r = run; r > 0; ) {
                if (r >= 3) { sb.append('-'); r -= 3; }
                else if (r == 2) { sb.append('_'); r -= 2; }
                else { sb.append('.'); r -= 1; }
            }
            i += run;
        }
        return sb.toString();
    }

    /** The bootstrap servers: the environment's if set, otherwise {@code fallback}. */
    public static String bootstrapServers(String fallback) {
        String env = System.getenv(BOOTSTRAP_ENV);
        if (env != null && !env.isBlank()) return env.trim();
        env = System.getenv(PROPERTY_ENV_PREFIX + "BOOTSTRAP_SERVERS");
        return env != null && !env.isBlank() ? env.trim() : fallback;
    }

    /** The schema registry: {@code embedded} or a URL; the environment's if set, otherwise {@code fallback}. */
    public static String registry(String fallback) {
        String env = System.getenv(REGISTRY_ENV);
        return env != null && !env.isBlank() ? env.trim() : fallback;
    }

    public static Properties toProperties(Map<String, ?> map) {
        Properties p = new Properties();
        map.forEach((k, v) -> p.put(k, v));
        return p;
    }
}
