package io.latentwatch.monitor.incident;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real Alertmanager as a separate OS process (Debian package {@code prometheus-alertmanager}; the
 * binary is found on PATH as {@code prometheus-alertmanager} or {@code alertmanager}, or at
 * {@code $LATENTWATCH_ALERTMANAGER_BIN}). Clustering is off; state lives in {@code storage}.
 */
final class AlertmanagerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private AlertmanagerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static Optional<Path> binary() {
        String env = System.getenv("LATENTWATCH_ALERTMANAGER_BIN");
        if (env != null && !env.isBlank()) return Optional.of(Path.of(env)).filter(Files::isExecutable);
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("prometheus-alertmanager", "alertmanager")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Starts Alertmanager with {@code config} on 127.0.0.1:{@code port} and waits until it is ready. */
    static AlertmanagerProcess start(Path binary, Path config, Path storage, int port) throws IOException, InterruptedException {
        Files.createDirectories(storage);
        Path log = storage.resolve("alertmanager-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder(binary.toString(), "--config.file=" + config, "--storage.path=" + storage,
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=", "--log.level=info")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        AlertmanagerProcess am = new AlertmanagerProcess(p, port, log);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IllegalStateException("Alertmanager exited with " + p.exitValue() + ": " + Files.readString(log));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(am.url() + "/-/ready")).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return am;
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        am.close();
        throw new IllegalStateException("Alertmanager not ready within 20 s: " + Files.readString(log));
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** SIGTERM, so Alertmanager writes its notification log snapshot before it exits. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
