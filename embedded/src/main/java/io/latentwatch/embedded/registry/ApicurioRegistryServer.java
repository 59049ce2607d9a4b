package io.latentwatch.embedded.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The Apicurio Registry 3 server ({@code io.apicurio:apicurio-registry-app}, the runner jar of its
 * {@code all} distribution) as a child JVM with <b>KafkaSQL storage</b>: every change is a record
 * in a journal topic on our broker, replayed into the registry's in-memory database on start. So
 * schemas, and the content ids the Java serdes write into every record, survive restarts of the
 * registry and (with {@code latentwatch kafka --data-dir}) of the broker, and the id sequence
 * continues after a restart instead of starting again at 1 — a reused id would make old records
 * decode with the wrong schema.
 *
 * <p>The journal and snapshot topics are created here before the server starts: one partition
 * (the journal is an ordered log), kept forever ({@code retention.ms=-1}); a journal trimmed by the
 * broker's default seven-day retention would lose the schemas.
 *
 * <p>Configuration names are Apicurio 3.0's ({@code apicurio.storage.kind=kafkasql},
 * {@code apicurio.kafkasql.bootstrap.servers}, {@code apicurio.kafkasql.topic},
 * {@code apicurio.kafkasql.snapshots.topic}) and Quarkus's ({@code quarkus.http.host|port}),
 * passed as system properties.
 */
public final class ApicurioRegistryServer implements AutoCloseable {

    /** Default journal topic (Apicurio's own default is {@code kafkasql-journal}; ours carries the product's name). */
    public static final String DEFAULT_JOURNAL_TOPIC = "latentwatch.registry-journal";
    /** The environment variable naming a directory holding the runner jar. */
    public static final String HOME_ENV = "LATENTWATCH_APICURIO_HOME";
    /** Where the build unpacks the server ({@link #FETCH_COMMAND}, or any {@code verify} of those modules). */
    public static final List<String> BUILD_LOCATIONS = List.of("embedded/target/apicurio-registry", "schemas/target/apicurio-registry");

    /** The Maven call that fetches and unpacks the server (the execution declared in embedded/pom.xml). */
    public static final String FETCH_COMMAND =
            "./mvnw -B -q -pl embedded com.googlecode.maven-download-plugin:download-maven-plugin:artifact@fetch-apicurio-registry -DskipITs=false";

    /** What to start. */
    public record Settings(Path runnerJar, String bootstrapServers, String host, int port, String journalTopic,
                           String heap, Path log) {
        public Settings {
            Objects.requireNonNull(runnerJar, "runnerJar");
            // The server runs in the jar's directory: a relative path would not resolve from there.
            runnerJar = runnerJar.toAbsolutePath().normalize();
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            host = host == null ? "127.0.0.1" : host;
            journalTopic = journalTopic == null ? DEFAULT_JOURNAL_TOPIC : journalTopic;
            heap = heap == null ? "384m" : heap;
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("registry port must be 1-65535, got " + port);
            }
        }

        public String snapshotsTopic() {
            return journalTopic + "-snapshots";
        }

        public String baseUrl() {
            return "http://" + host + ":" + port;
        }
    }

    private final Process process;
    private final Settings settings;

    private ApicurioRegistryServer(Process process, Settings settings) {
        this.process = process;
        this.settings = settings;
    }

    /**
     * The runner jar: under {@code explicitHome} if given, else under {@value #HOME_ENV}, else under
     * one of {@link #BUILD_LOCATIONS} relative to {@code workDir}. Throws with what to do if none is found.
     */
    public static Path locateRunnerJar(Path explicitHome, Map<String, String> env, Path workDir) {
        List<Path> tried = new ArrayList<>();
        if (explicitHome != null) {
            tried.add(explicitHome);
        } else {
            String h = env.get(HOME_ENV);
            if (h != null && !h.isBlank()) {
                tried.add(Path.of(h.trim()));
            }
            BUILD_LOCATIONS.forEach(l -> tried.add(workDir.resolve(l)));
        }
        for (Path home : tried) {
            Path jar = findRunnerJar(home);
            if (jar != null) {
                return jar;
            }
        }
        throw new IllegalArgumentException("No Apicurio Registry runner jar (*-runner.jar) under " + tried
                + ". Fetch it with '" + FETCH_COMMAND + "' (it downloads io.apicurio:apicurio-registry-app:all:tar.gz "
                + "from Maven Central once and unpacks it into embedded/target/apicurio-registry), or point --home / $"
                + HOME_ENV + " at an unpacked distribution.");
    }

    /** The runner jar under {@code home} (searched four levels deep), or null. */
    public static Path findRunnerJar(Path home) {
        if (home == null || !Files.isDirectory(home)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(home, 4)) {
            return files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst().orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot search " + home + " for the Apicurio Registry runner jar", e);
        }
    }

    /** Creates the journal topics, starts the server and waits (up to {@code timeout}) until it is ready. */
    public static ApicurioRegistryServer start(Settings s, Duration timeout) throws IOException, InterruptedException {
        createJournalTopics(s);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "-Xmx" + s.heap(), "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=" + s.host(),
                "-Dquarkus.http.port=" + s.port(),
                "-Dquarkus.log.level=WARN",
                "-Dapicurio.storage.kind=kafkasql",
                "-Dapicurio.kafkasql.bootstrap.servers=" + s.bootstrapServers(),
                "-Dapicurio.kafkasql.topic=" + s.journalTopic(),
                "-Dapicurio.kafkasql.snapshots.topic=" + s.snapshotsTopic(),
                "-jar", s.runnerJar().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(s.runnerJar().getParent().toFile()).redirectErrorStream(true);
        if (s.log() != null) {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(s.log().toFile()));
        } else {
            pb.inheritIO();
        }
        ApicurioRegistryServer server = new ApicurioRegistryServer(pb.start(), s);
        try {
            server.awaitReady(timeout);
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static void createJournalTopics(Settings s) {
        Map<String, String> forever = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.RETENTION_MS_CONFIG, "-1", TopicConfig.RETENTION_BYTES_CONFIG, "-1");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String t : List.of(s.journalTopic(), s.snapshotsTopic())) {
                if (existing.contains(t)) {
                    continue;
                }
                try {
                    admin.createTopics(List.of(new NewTopic(t, 1, (short) 1).configs(forever))).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Cannot create the registry's topic " + t + ": " + e.getCause().getMessage(), e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating the registry's journal topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot reach Kafka at " + s.bootstrapServers() + " to create the registry's journal topic "
                    + "(start the broker first: latentwatch kafka --data-dir DIR)", e);
        }
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(settings.baseUrl() + "/health/ready")).timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue() + " during startup"
                        + (settings.log() != null ? ": see " + settings.log() : ""));
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Apicurio Registry not ready on " + settings.baseUrl() + " after " + timeout
                        + (settings.log() != null ? ": see " + settings.log() : ""));
            }
            Thread.sleep(250);
        }
    }

    /** {@code http://host:port}: what {@code --registry} / {@code LATENTWATCH_REGISTRY_URL} take. */
    public String baseUrl() {
        return settings.baseUrl();
    }

    /** The Confluent-compatible API, for clients in other languages. */
    public String confluentApiUrl() {
        return settings.baseUrl() + "/apis/ccompat/v7";
    }

    public Settings settings() {
        return settings;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the server to exit by itself; its exit code. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** Stops the server (SIGTERM, then SIGKILL after 20 s). Idempotent. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
