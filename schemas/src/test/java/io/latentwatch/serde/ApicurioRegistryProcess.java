package io.latentwatch.serde;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Apicurio Registry server (the {@code apicurio-registry-app} runner jar, unpacked by the
 * build into {@code target/apicurio-registry}) as a child JVM on a free port with its default
 * in-memory storage. {@link #close()} kills it (and anything it started); a shutdown hook does
 * the same if the test JVM exits first.
 */
final class ApicurioRegistryProcess implements AutoCloseable {

    /** Where the build unpacked the server (system property set by failsafe). */
    static final String HOME_PROPERTY = "apicurio.registry.home";

    private final Process process;
    private final Thread killer;
    private final Path log;
    final String baseUrl;
    final long startupMillis;

    private ApicurioRegistryProcess(Process process, Thread killer, Path log, String baseUrl, long startupMillis) {
        this.process = process;
        this.killer = killer;
        this.log = log;
        this.baseUrl = baseUrl;
        this.startupMillis = startupMillis;
    }

    /** The runner jar under {@code home}, or null if the build has not unpacked one there. */
    static Path findRunnerJar(Path home) throws IOException {
        if (home == null || !Files.isDirectory(home)) {
            return null;
        }
        try (Stream<Path> files = Files.walk(home, 4)) {
            return files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst().orElse(null);
        }
    }

    static ApicurioRegistryProcess start(Path runnerJar, Duration timeout) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Files.createTempFile("apicurio-registry-", ".log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(List.of(java, "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.log.level=WARN",
                "-jar", runnerJar.toString()))
                .directory(runnerJar.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Thread killer = new Thread(() -> kill(p), "kill-apicurio-registry");
        Runtime.getRuntime().addShutdownHook(killer);
        String base = "http://127.0.0.1:" + port;
        ApicurioRegistryProcess r = new ApicurioRegistryProcess(p, killer, log, base, 0);
        try {
            awaitReady(p, base, log, timeout);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            r.close();
            throw e;
        }
        return new ApicurioRegistryProcess(p, killer, log, base, (System.nanoTime() - t0) / 1_000_000);
    }

    private static void awaitReady(Process p, String base, Path log, Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(base + "/health/ready")).timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + p.exitValue() + " during startup:\n" + tail(log));
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Apicurio Registry not ready on " + base + " after " + timeout + ":\n" + tail(log));
            }
            Thread.sleep(250);
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String log() {
        return tail(log);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill(process);
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }
}
