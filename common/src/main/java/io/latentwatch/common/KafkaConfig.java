package io.latentwatch.common;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

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
 *
 * <p>Secrets (a {@code sasl.jaas.config} with a password, {@code ssl.keystore.password}, ...) belong
 * in files, not in the environment's values: {@code LATENTWATCH_KAFKA_<PROPERTY>_FILE=/run/secrets/x}
 * sets the property to that file's content (trailing newline stripped), e.g.
 * {@code LATENTWATCH_KAFKA_SASL_JAAS_CONFIG_FILE}. Kafka's own config providers work too
 * ({@code config.providers=file} with {@code ${file:/path/client.properties:sasl.jaas.config}}).
 * {@link #masked} is the form of a configuration fit for logs and dumps: secret values hidden.
 */
public final class KafkaConfig {
    public static final String BOOTSTRAP_ENV = "LATENTWATCH_BOOTSTRAP_SERVERS";
    public static final String REGISTRY_ENV = "LATENTWATCH_REGISTRY_URL";
    public static final String PROPERTY_ENV_PREFIX = "LATENTWATCH_KAFKA_";
    /** Suffix of a variable whose value names a file holding the property's value. */
    public static final String FILE_SUFFIX = "_FILE";
    /** Kafka properties whose own names end in ".file" (paths, not secrets): their variables are taken as they are. */
    static final Set<String> FILE_PROPERTIES = Set.of("sasl.oauthbearer.assertion.file", "sasl.oauthbearer.assertion.private.key.file");
    /** Properties whose values are secrets: passwords, JAAS configurations (which carry them), keys, tokens, client secrets. */
    private static final Pattern SECRET = Pattern.compile("(?i).*(password|secret|jaas\\.config|token|credentials|\\.key$|keystore\\.certificate\\.chain).*");
    public static final String HIDDEN = "[hidden]";

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
        Map<String, String> fromFiles = new TreeMap<>();
        env.entrySet().stream()
                .filter(e -> e.getKey().startsWith(PROPERTY_ENV_PREFIX) && e.getKey().length() > PROPERTY_ENV_PREFIX.length())
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> {
                    String suffix = e.getKey().substring(PROPERTY_ENV_PREFIX.length());
                    if (isFileVariable(suffix)) {
                        fromFiles.put(propertyName(suffix.substring(0, suffix.length() - FILE_SUFFIX.length())), e.getKey());
                    } else {
                        out.put(propertyName(suffix), e.getValue());
                    }
                });
        fromFiles.forEach((property, variable) -> {
            String direct = variable.substring(0, variable.length() - FILE_SUFFIX.length());
            if (env.containsKey(direct)) {
                throw new IllegalArgumentException("both " + direct + " and " + variable + " are set: keep one (the file, for a secret)");
            }
            out.put(property, readSecretFile(variable, env.get(variable)));
        });
        return out;
    }

    /** {@code SASL_JAAS_CONFIG_FILE} is one, {@code SASL_OAUTHBEARER_ASSERTION_FILE} (a Kafka property of its own) is not. */
    static boolean isFileVariable(String suffix) {
        return suffix.endsWith(FILE_SUFFIX) && suffix.length() > FILE_SUFFIX.length()
                && !suffix.endsWith("_" + FILE_SUFFIX) && !FILE_PROPERTIES.contains(propertyName(suffix));
    }

    /** The content of the file {@code variable} names, trailing whitespace stripped; a clear error when unreadable. */
    public static String readSecretFile(String variable, String file) {
        try {
            return Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(variable + " names " + file + ", which cannot be read (" + e.getClass().getSimpleName()
                    + "): mount the secret there or unset the variable", e);
        }
    }

    /** True when {@code property}'s value is a secret (see {@link #masked}). */
    public static boolean secret(String property) { return SECRET.matcher(property).matches(); }

    /** {@code config} with the value of every secret property replaced by {@value #HIDDEN}: the form for logs and dumps. */
    public static Map<String, Object> masked(Map<String, ?> config) {
        Map<String, Object> out = new LinkedHashMap<>();
        config.forEach((k, v) -> out.put(k, secret(k) && v != null ? HIDDEN : v));
        return out;
    }

    /**
     * The part of a client configuration every client of the same cluster needs: bootstrap servers,
     * {@code security.*}, {@code sasl.*}, {@code ssl.*} and config providers. For the short-lived
     * admin clients a service creates beside its main client.
     */
    public static Map<String, Object> connection(Map<String, ?> config) {
        Map<String, Object> out = new LinkedHashMap<>();
        config.forEach((k, v) -> {
            if (k.equals("bootstrap.servers") || k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl.")
                    || k.startsWith("config.providers")) {
                out.put(k, v);
            }
        });
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
