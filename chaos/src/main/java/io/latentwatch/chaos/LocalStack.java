package io.latentwatch.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The local stack of {@code deploy/local/stack} under one directory, driven through that script (the one home of how
 * each service is started): {@code up} starts what is not running and waits until it is healthy; the pid files it
 * writes ({@code DIR/pids/NAME.pid}: pid and start time) are how faults reach one process. Also runs one-shot
 * {@code latentwatch} commands (traffic, audit verify) as their own processes on the same jar.
 */
public final class LocalStack {
    /** Output and exit status of a finished command. */
    public record Result(int exit, String output) {
        public boolean ok() { return exit == 0; }
    }

    private final Path script;
    private final Path dir;
    private final Path jar;
    private final int basePort;
    private final List<String> upFlags;

    /**
     * @param script   deploy/local/stack of the repository
     * @param dir      the stack's directory (logs, pids, data, stack.env)
     * @param jar      the latentwatch jar (cli/target/latentwatch.jar)
     * @param basePort first port of the stack's addresses (fixed at the directory's first up)
     * @param upFlags  extra flags of {@code stack up}, e.g. {@code --without-observability}
     */
    public LocalStack(Path script, Path dir, Path jar, int basePort, List<String> upFlags) {
        this.script = script.toAbsolutePath();
        this.dir = dir.toAbsolutePath();
        this.jar = jar.toAbsolutePath();
        this.basePort = basePort;
        this.upFlags = List.copyOf(upFlags);
    }

    public Path dir() { return dir; }

    /** The repository's deploy/local/stack, found above {@code from} (e.g. the jar in cli/target); throws with what to do. */
    public static Path locateScript(Path from) {
        for (Path p = from.toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve("deploy").resolve("local").resolve("stack");
            if (Files.isRegularFile(s)) return s;
        }
        throw new IllegalArgumentException("no deploy/local/stack above " + from + "; run from a checkout of latentwatch or give --stack-script");
    }

    /** Starts every service that is not running and waits until each is healthy (the script's own waits). */
    public void up(Duration timeout) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(script.toString(), "up", "--dir", dir.toString(), "--base-port", Integer.toString(basePort)));
        cmd.addAll(upFlags);
        Result r = run(cmd, timeout, Map.of());
        if (!r.ok()) throw new IllegalStateException("deploy/local/stack up failed (exit " + r.exit() + "):\n" + tail(r.output(), 40));
    }

    /** Starts one service unless it runs, and waits until it is healthy. */
    public void start(String service) throws IOException, InterruptedException {
        Result r = run(List.of(script.toString(), "start", service, "--dir", dir.toString()), Duration.ofMinutes(5), Map.of());
        if (!r.ok()) throw new IllegalStateException("deploy/local/stack start " + service + " failed:\n" + tail(r.output(), 30));
    }

    /** Stops one service with SIGTERM (the script's stop: by its recorded pid only). */
    public void stop(String service) throws IOException, InterruptedException {
        Result r = run(List.of(script.toString(), "stop", service, "--dir", dir.toString()), Duration.ofSeconds(60), Map.of());
        if (!r.ok()) throw new IllegalStateException("deploy/local/stack stop " + service + " failed:\n" + tail(r.output(), 20));
    }

    /** Stops every service. */
    public void down() throws IOException, InterruptedException {
        run(List.of(script.toString(), "down", "--dir", dir.toString()), Duration.ofMinutes(3), Map.of());
    }

    /** The live process of a service, from its pid file (pid and start time must both match). */
    public Optional<ProcessHandle> process(String service) throws IOException {
        Path f = dir.resolve("pids").resolve(service + ".pid");
        if (!Files.isRegularFile(f)) return Optional.empty();
        String[] parts = Files.readString(f).trim().split("\\s+");
        long pid = Long.parseLong(parts[0]);
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return Optional.empty();
        String st = startTime(pid);
        if (parts.length > 1 && st != null && !st.equals(parts[1])) return Optional.empty();
        return h;
    }

    /** kill -9 of a service: no shutdown hook, no flush, no goodbye to the group or the transaction coordinator. */
    public void kill9(String service) throws IOException, InterruptedException {
        ProcessHandle h = process(service).orElseThrow(() -> new IllegalStateException(service + " is not running"));
        // The recorded pid may be the stack's supervisor of the service: it goes first, so it cannot restart the JVM.
        List<ProcessHandle> below = h.descendants().toList();
        h.destroyForcibly();
        below.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle d : below) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (d.isAlive() && System.nanoTime() < until) Thread.sleep(50);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (h.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
        if (h.isAlive()) throw new IllegalStateException(service + " (pid " + h.pid() + ") survived SIGKILL for 30 s");
    }

    /** SIGSTOP (pause) or SIGCONT (resume): the process keeps its sockets but answers nothing, as behind a dead link. */
    public void signal(String service, String signal) throws IOException, InterruptedException {
        ProcessHandle h = process(service).orElseThrow(() -> new IllegalStateException(service + " is not running"));
        Result r = run(List.of("kill", "-" + signal, Long.toString(h.pid())), Duration.ofSeconds(10), Map.of());
        if (!r.ok()) throw new IllegalStateException("kill -" + signal + " " + h.pid() + " failed: " + r.output());
    }

    /** The addresses of DIR/stack.env (LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_REGISTRY_URL, LATENTWATCH_NODE_URL, ...). */
    public Map<String, String> env() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("stack.env"))) {
            line = line.trim();
            if (!line.startsWith("export ")) continue;
            String kv = line.substring("export ".length());
            int eq = kv.indexOf('=');
            if (eq > 0) m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    public String bootstrap() throws IOException { return env().get("LATENTWATCH_BOOTSTRAP_SERVERS"); }

    public String registry() throws IOException { return env().get("LATENTWATCH_REGISTRY_URL"); }

    public String nodeUrl() throws IOException { return env().get("LATENTWATCH_NODE_URL"); }

    /** The Kafka Streams state directory of monitor-N. */
    public Path monitorState(int n) { return dir.resolve("data").resolve("monitor-" + n); }

    /** The artifact store shared by the trainer and the monitors. */
    public Path artifacts() { return dir.resolve("data").resolve("artifacts"); }

    /** {@code java -jar latentwatch.jar ARGS...} with the stack's addresses in the environment. */
    public Result latentwatch(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx512m", "-Dai.djl.offline=true", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, timeout, env());
    }

    /** {@code latentwatch ARGS...} started in the background, output to {@code log}. */
    public Process latentwatchProcess(List<String> args, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx512m", "-Dai.djl.offline=true", "-jar", jar.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env());
        return pb.start();
    }

    static Result run(List<String> cmd, Duration timeout, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("latentwatch-chaos-", ".out");
        try {
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(124, Files.readString(out, StandardCharsets.UTF_8) + "\n(timed out after " + timeout + ")");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Field 22 (starttime); the command name (field 2) may hold spaces, so count from the closing parenthesis.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[19];
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String tail(String s, int lines) {
        String[] l = s.split("\n");
        return String.join("\n", Arrays.copyOfRange(l, Math.max(0, l.length - lines), l.length));
    }
}
