package io.latentwatch.embedded;

import java.net.BindException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A SASL_SSL client listener for {@link EmbeddedKafka}: TLS with the given key store (PKCS12), and
 * SASL with PLAIN (the users listed here, checked by the broker's JAAS configuration) and SCRAM-SHA-256
 * / SCRAM-SHA-512 (users created at run time through the Admin API,
 * {@code Admin.alterUserScramCredentials}; in KRaft their credentials live in the metadata log).
 * The broker's own traffic (inter-broker, controller, its readiness check) stays on the loopback
 * PLAINTEXT listener, as in a test cluster whose clients alone are locked down.
 *
 * @param keyStore         PKCS12 key store with the broker's key and certificate (SAN 127.0.0.1)
 * @param keyStorePassword its password (also the key's)
 * @param plainUsers       PLAIN user name to password
 */
public record SaslSsl(Path keyStore, String keyStorePassword, Map<String, String> plainUsers) {
    public static final String LISTENER = "SASL_SSL";
    public static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    public SaslSsl {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(keyStorePassword, "keyStorePassword");
        plainUsers = Map.copyOf(plainUsers);
        for (String u : plainUsers.keySet()) {
            if (!u.matches("[A-Za-z0-9_-]+")) throw new IllegalArgumentException("PLAIN user names are letters, digits, _ and -: " + u);
        }
    }

    /** Starts the broker (see {@link EmbeddedKafka#startSaslSsl}); a port taken before the broker bound it means another try. */
    EmbeddedKafka start(Map<String, String> overrides) {
        RuntimeException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            int saslPort = EmbeddedKafka.freePort();
            Map<String, String> p = new LinkedHashMap<>(brokerProperties());
            // ${port} and ${controller}: the PLAINTEXT and controller ports EmbeddedKafka picks.
            p.put("listeners", "PLAINTEXT://127.0.0.1:${port}," + LISTENER + "://127.0.0.1:" + saslPort + ",CONTROLLER://127.0.0.1:${controller}");
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:${port}," + LISTENER + "://127.0.0.1:" + saslPort);
            p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + LISTENER + ":" + LISTENER + ",CONTROLLER:PLAINTEXT");
            p.putAll(overrides);
            try {
                EmbeddedKafka k = EmbeddedKafka.start(p);
                k.saslSslBootstrapServers("127.0.0.1:" + saslPort);
                return k;
            } catch (RuntimeException e) {
                if (!(e.getMessage() != null && e.getMessage().contains("Address already in use")) && !bindFailure(e)) throw e;
                last = e;
            }
        }
        throw last;
    }

    private static boolean bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof BindException) return true;
        return false;
    }

    /** Broker properties of the listener (added to the defaults; {@code listeners} etc. are set by EmbeddedKafka). */
    Map<String, String> brokerProperties() {
        String l = "listener.name." + LISTENER.toLowerCase() + ".";
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sasl.enabled.mechanisms", String.join(",", MECHANISMS));
        p.put(l + "sasl.enabled.mechanisms", String.join(",", MECHANISMS));
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        plainUsers.forEach((u, pw) -> plain.append(" user_").append(u).append("=\"").append(pw.replace("\"", "\\\"")).append('"'));
        p.put(l + "plain.sasl.jaas.config", plain.append(';').toString());
        p.put(l + "scram-sha-256.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put(l + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put(l + "ssl.keystore.location", keyStore.toString());
        p.put(l + "ssl.keystore.password", keyStorePassword);
        p.put(l + "ssl.key.password", keyStorePassword);
        p.put(l + "ssl.keystore.type", "PKCS12");
        return p;
    }

    /** Never the passwords. */
    @Override public String toString() { return "SaslSsl[" + keyStore + ", PLAIN users " + plainUsers.keySet() + "]"; }
}
