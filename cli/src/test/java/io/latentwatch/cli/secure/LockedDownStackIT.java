package io.latentwatch.cli.secure;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.embedded.SaslSsl;
import io.latentwatch.embedded.registry.ApicurioRegistryServer;
import io.latentwatch.embedded.testing.TestTls;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * latentwatch on a locked-down cluster, every service a separate OS process configured the way an
 * operator would: a broker whose client listener is SASL_SSL only (throwaway CA, host names
 * verified), SCRAM users created through the Admin API (node: SCRAM-SHA-512, monitor:
 * SCRAM-SHA-256) and a PLAIN user (consume, audit); the schema registry (the real Apicurio server)
 * behind HTTPS with basic authentication; every secret in a file named by a {@code *_FILE}
 * variable; the node's and the monitor's HTTP endpoints behind bearer tokens. The node publishes,
 * the monitor processes and signs checkpoints, {@code consume} reads the monitor's alert,
 * {@code audit verify} passes with the key, and no process prints a secret.
 */
class LockedDownStackIT {
    static final Path JAR = Path.of("target/latentwatch.jar");
    static final Path MODEL = Path.of("../models/zoo-small");
    @TempDir Path tmp;
    final List<Process> processes = new ArrayList<>();

    @Test
    void nodeMonitorConsumeAndAuditWorkOverSaslSslWithAnAuthenticatedTlsRegistry() throws Exception {
        Path runner;
        try {
            runner = ApicurioRegistryServer.locateRunnerJar(null, System.getenv(), Path.of(".."));
        } catch (IllegalArgumentException e) {
            // ./mvnw verify always has it (the embedded module fetches it before the ITs); only a run of cli's ITs alone lacks it.
            Assumptions.abort("no Apicurio Registry server unpacked (fetch it with `" + ApicurioRegistryServer.FETCH_COMMAND
                    + "`, or run ./mvnw verify, which fetches it in the embedded module): " + e.getMessage());
            return;
        }
        assertTrue(Files.isRegularFile(JAR), JAR + " is built by the package phase before the ITs");
        TestTls tls = TestTls.create(tmp.resolve("tls"));
        Map<String, String> passwords = new HashMap<>();
        for (String u : List.of("admin", "consumer", "node", "monitor", "registry")) passwords.put(u, "pw-" + u + "-" + UUID.randomUUID());
        String nodeToken = "node-token-" + UUID.randomUUID(), monitorToken = "monitor-token-" + UUID.randomUUID();
        String auditKey = "audit-key-" + UUID.randomUUID() + UUID.randomUUID();
        List<String> secrets = new ArrayList<>(passwords.values());
        secrets.addAll(List.of(nodeToken, monitorToken, auditKey, tls.password()));

        try (EmbeddedKafka kafka = EmbeddedKafka.startSaslSsl(new SaslSsl(tls.keyStore(), tls.password(),
                Map.of("admin", passwords.get("admin"), "consumer", passwords.get("consumer"))), Map.of())) {
            String bootstrap = kafka.saslSslBootstrapServers();
            Map<String, Object> adminCfg = new HashMap<>(Map.of("bootstrap.servers", bootstrap, "security.protocol", "SASL_SSL",
                    "sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas("PLAIN", "admin", passwords.get("admin")),
                    "ssl.truststore.location", tls.trustStore().toString(), "ssl.truststore.password", tls.password(),
                    "ssl.truststore.type", "PKCS12"));
            try (Admin admin = Admin.create(adminCfg)) {
                admin.alterUserScramCredentials(List.of(
                        new UserScramCredentialUpsertion("node", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), passwords.get("node")),
                        new UserScramCredentialUpsertion("monitor", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
                                passwords.get("monitor")))).all().get(30, TimeUnit.SECONDS);
                Topics.defaults().create(admin, TopicSettings.of(2));
            }

            // The registry stores its journal through the broker's internal listener; clients see it only over HTTPS + basic.
            int registryPort = freePort();
            try (ApicurioRegistryServer registry = ApicurioRegistryServer.start(new ApicurioRegistryServer.Settings(runner,
                    kafka.bootstrapServers(), "127.0.0.1", registryPort, null, "384m", tmp.resolve("registry.log")), Duration.ofMinutes(4));
                 TlsAuthProxy proxy = new TlsAuthProxy(tls.keyStore(), tls.password(), "http://127.0.0.1:" + registryPort, "latentwatch",
                         passwords.get("registry"))) {
                Path nodeTokenFile = tls.secretFile("node.token", nodeToken), monitorTokenFile = tls.secretFile("monitor.token", monitorToken);
                Path keyFile = tls.secretFile("audit.key", auditKey);
                int nodePort = freePort(), metricsPort = freePort();

                Map<String, String> monitorEnv = env(tls, bootstrap, proxy, passwords, "SCRAM-SHA-256", "monitor");
                monitorEnv.put("LATENTWATCH_MONITOR_AUDIT_CHECKPOINT_INTERVAL_MS", "2000");
                Process monitor = start("monitor", monitorEnv,
                        "monitor", "--state-dir", tmp.resolve("state").toString(), "--metrics-port", Integer.toString(metricsPort),
                        "--http-token-file", monitorTokenFile.toString(), "--audit-key-file", keyFile.toString());
                Process node = start("node", env(tls, bootstrap, proxy, passwords, "SCRAM-SHA-512", "node"),
                        "node", "--model", MODEL.toString(), "--port", Integer.toString(nodePort), "--sample-rate", "1",
                        "--http-token-file", nodeTokenFile.toString());
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                String nodeUrl = "http://127.0.0.1:" + nodePort, metricsUrl = "http://127.0.0.1:" + metricsPort;
                awaitStatus(http, nodeUrl + "/health", null, 200, node, "node");
                awaitStatus(http, metricsUrl + "/health/ready", null, 200, monitor, "monitor");

                assertEquals(401, send(http, nodeUrl + "/v1/completions", null, "{\"prompt\": \"Once upon a time\", \"max_tokens\": 3}"),
                        "the node wants its token");
                int requests = 6;
                for (int i = 0; i < requests; i++) {
                    assertEquals(200, send(http, nodeUrl + "/v1/completions", nodeToken,
                            "{\"prompt\": \"Once upon a time there was a little girl\", \"max_tokens\": 3, \"seed\": " + i + "}"));
                }
                // The monitor processed every sample (each request publishes one at the last position).
                assertEquals(401, get(http, metricsUrl + "/metrics", null).statusCode(), "metrics want the monitor's token");
                long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
                double processed = 0;
                while (processed < requests) {
                    assertTrue(System.nanoTime() < deadline, "monitor processed " + processed + " of " + requests + "\n" + tail("monitor"));
                    assertTrue(monitor.isAlive(), "the monitor exited:\n" + tail("monitor"));
                    processed = metric(get(http, metricsUrl + "/metrics", monitorToken).body(), "latentwatch_records_processed_total");
                    if (processed < requests) Thread.sleep(500);
                }

                // consume (PLAIN user) reads the monitor's alert on the hook that has no SAE yet.
                Map<String, String> plain = env(tls, bootstrap, proxy, passwords, "PLAIN", "consumer");
                Process consume = start("consume", plain, "consume", "--topic", "alerts", "--from-beginning", "--max-records", "1",
                        "--timeout", "120s", "--json");
                assertTrue(consume.waitFor(4, TimeUnit.MINUTES), "consume did not finish\n" + tail("consume"));
                assertEquals(0, consume.exitValue(), tail("consume"));
                assertTrue(tail("consume").contains("\"detector\""), tail("consume"));

                // audit verify (PLAIN user, the monitor's key): every chain intact and signed.
                long auditDeadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (true) {
                    Map<String, String> auditEnv = new HashMap<>(plain);
                    auditEnv.put("LATENTWATCH_AUDIT_KEY", auditKey);
                    Process audit = start("audit", auditEnv, "audit", "verify", "--timeout", "120s");
                    assertTrue(audit.waitFor(4, TimeUnit.MINUTES), "audit did not finish\n" + tail("audit"));
                    String out = tail("audit");
                    if (audit.exitValue() == 0 && out.contains("matches its signed checkpoints") && out.contains("signed checkpoint(s)")) break;
                    // The first checkpoint comes one interval after start (monitor.audit.checkpoint.interval.ms).
                    assertTrue(System.nanoTime() < auditDeadline, "audit verify did not pass:\n" + out);
                    Thread.sleep(5000);
                }
                assertTrue(proxy.authorized.get() > 0, "the serdes reached the registry through the authenticating proxy");
                HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(tls)).build();
                assertEquals(401, trusting.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/apis/registry/v3/system/info")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode(), "the registry wants basic authentication");
                System.out.printf("locked-down stack: %d requests, %.0f samples processed, %d registry calls authorized, %d refused%n",
                        requests, processed, proxy.authorized.get(), proxy.refused.get());
            } finally {
                processes.forEach(p -> { p.destroy(); });
                for (Process p : processes) {
                    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
                }
            }
        }
        // No process printed a secret (passwords, tokens, the audit key, the store password).
        for (String name : List.of("monitor", "node", "consume", "audit")) {
            String out = Files.exists(tmp.resolve(name + ".log")) ? Files.readString(tmp.resolve(name + ".log")) : "";
            for (String s : secrets) assertFalse(out.contains(s), name + " printed a secret");
        }
    }

    static SSLContext trusting(TestTls tls) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(tls.trustStore())) { ts.load(in, tls.password().toCharArray()); }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static String jaas(String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return module + " required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /** What an operator puts in a service's environment: Kafka and registry settings, every secret as a file. */
    Map<String, String> env(TestTls tls, String bootstrap, TlsAuthProxy proxy, Map<String, String> pw, String mechanism, String user)
            throws IOException {
        Map<String, String> e = new HashMap<>();
        e.put("LATENTWATCH_BOOTSTRAP_SERVERS", bootstrap);
        e.put("LATENTWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        e.put("LATENTWATCH_KAFKA_SASL_MECHANISM", mechanism);
        e.put("LATENTWATCH_KAFKA_SASL_JAAS_CONFIG_FILE", tls.secretFile(user + ".jaas", jaas(mechanism, user, pw.get(user))).toString());
        e.put("LATENTWATCH_KAFKA_SSL_TRUSTSTORE_LOCATION", tls.trustStore().toString());
        e.put("LATENTWATCH_KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12");
        e.put("LATENTWATCH_KAFKA_SSL_TRUSTSTORE_PASSWORD_FILE", tls.secretFile("truststore.password", tls.password()).toString());
        e.put("LATENTWATCH_REGISTRY_URL", proxy.url());
        e.put("LATENTWATCH_REGISTRY_USERNAME", "latentwatch");
        e.put("LATENTWATCH_REGISTRY_PASSWORD_FILE", tls.secretFile("registry.password", pw.get("registry")).toString());
        e.put("LATENTWATCH_REGISTRY_TRUSTSTORE", tls.trustStore().toString());
        e.put("LATENTWATCH_REGISTRY_TRUSTSTORE_PASSWORD_FILE", tls.secretFile("truststore.password", tls.password()).toString());
        return e;
    }

    Process start(String name, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true", "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LATENTWATCH_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    String tail(String name) throws IOException {
        Path f = tmp.resolve(name + ".log");
        if (!Files.exists(f)) return "(no output)";
        List<String> lines = Files.readAllLines(f);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    void awaitStatus(HttpClient http, String url, String token, int status, Process p, String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (true) {
            assertTrue(p.isAlive(), name + " exited:\n" + tail(name));
            try {
                if (get(http, url, token).statusCode() == status) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            assertTrue(System.nanoTime() < deadline, name + " not ready at " + url + ":\n" + tail(name));
            Thread.sleep(500);
        }
    }

    static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int send(HttpClient http, String url, String token, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static double metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
        double sum = 0;
        while (m.find()) sum += Double.parseDouble(m.group(2));
        return sum;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { return s.getLocalPort(); }
    }
}
