package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.ModelLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code latentwatch models list|pull}: the project's zoo and a local cache of public checkpoints. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List local checkpoints (the zoo under models/ and the download cache) or download known public ones.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Pull.class})
public final class ModelsCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Default cache: $LATENTWATCH_CACHE or ~/.cache/latentwatch. */
    static Path defaultCache() {
        String env = System.getenv("LATENTWATCH_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "latentwatch");
    }

    /**
     * One downloadable file. {@code sha256} is pinned where the project knows it; otherwise the download is
     * checked against the SHA-256 Hugging Face publishes for LFS files (the X-Linked-Etag / ETag header).
     */
    record RemoteFile(String path, String name, String sha256) {}

    /** Known public checkpoints, relative to the base URL https://huggingface.co unless absolute. */
    static final Map<String, List<RemoteFile>> KNOWN = new LinkedHashMap<>();

    static {
        String tl = "karpathy/tinyllamas/resolve/main/";
        KNOWN.put("stories260K", List.of(
                new RemoteFile(tl + "stories260K/stories260K.bin", "stories260K.bin",
                        "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696"),
                new RemoteFile(tl + "stories260K/tok512.bin", "tok512.bin",
                        "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312")));
        for (String s : new String[]{"stories15M", "stories42M", "stories110M"}) {
            // these use the 32000-token Llama 2 tokenizer.bin from llama2.c's repository (found beside the .bin at load)
            KNOWN.put(s, List.of(new RemoteFile(tl + s + ".bin", s + ".bin", null),
                    new RemoteFile("https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin", "tokenizer.bin", null)));
        }
        String g = "openai-community/gpt2/resolve/main/";
        KNOWN.put("gpt2", List.of(new RemoteFile(g + "config.json", "config.json", null),
                new RemoteFile(g + "model.safetensors", "model.safetensors", null),
                new RemoteFile(g + "tokenizer.json", "tokenizer.json", null)));
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Show the zoo (models/ directory) and the checkpoints in the download cache.")
    static final class ListModels implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--zoo", defaultValue = "models", description = "Zoo directory (default ${DEFAULT-VALUE}).")
        Path zoo;
        @Option(names = "--cache-dir", description = "Download cache (default $LATENTWATCH_CACHE or ~/.cache/latentwatch).")
        Path cache;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            Path c = cache != null ? cache : defaultCache();
            out.println("zoo (" + zoo.toAbsolutePath().normalize() + "):");
            int n = listDir(out, zoo);
            if (n == 0) out.println("  (none)");
            out.println("cache (" + c.toAbsolutePath().normalize() + "):");
            n = listDir(out, c);
            if (n == 0) out.println("  (none)");
            out.println("known downloads: " + String.join(", ", KNOWN.keySet()) + "  (latentwatch models pull NAME)");
            out.flush();
            return 0;
        }

        private static int listDir(PrintWriter out, Path dir) throws IOException {
            if (!Files.isDirectory(dir)) return 0;
            int n = 0;
            try (Stream<Path> s = Files.list(dir).sorted()) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String kind = describe(p);
                    if (kind == null) continue;
                    out.printf("  %-24s %-28s %s%n", p.getFileName(), kind, human(size(p)));
                    n++;
                }
            }
            return n;
        }

        /** What a path holds, or null when it is no checkpoint. */
        static String describe(Path p) throws IOException {
            if (Files.isDirectory(p)) {
                Path cfg = p.resolve("config.json");
                if (Files.isRegularFile(cfg)) {
                    String type = new ObjectMapper().readTree(cfg.toFile()).path("model_type").asText("?");
                    return "hf " + type + (Files.exists(p.resolve("tokenizer.json")) ? " + tokenizer.json" : "");
                }
                try (Stream<Path> s = Files.list(p)) {
                    return s.anyMatch(f -> f.toString().endsWith(".bin")) ? "llama2.c files" : null;
                }
            }
            return p.toString().endsWith(".bin") ? "llama2.c/tokenizer file" : null;
        }
    }

    static long size(Path p) throws IOException {
        if (!Files.isDirectory(p)) return Files.size(p);
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1 << 30) return String.format("%.1f MiB", bytes / 1048576.0);
        return String.format("%.2f GiB", bytes / 1073741824.0);
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Download a known public checkpoint (stories260K, stories15M, stories42M, stories110M, gpt2) "
                    + "into the cache, verifying SHA-256 checksums.")
    static final class Pull implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", description = "Checkpoint name: ${COMPLETION-CANDIDATES}.", completionCandidates = Names.class)
        String name;
        @Option(names = "--cache-dir", description = "Download cache (default $LATENTWATCH_CACHE or ~/.cache/latentwatch).")
        Path cache;
        @Option(names = "--base-url", defaultValue = "https://huggingface.co", description = "Mirror to download from (default ${DEFAULT-VALUE}).")
        String baseUrl;
        @Option(names = "--timeout-seconds", defaultValue = "20", description = "Connection timeout (default ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<RemoteFile> files = KNOWN.get(name);
            if (files == null) {
                err.println("unknown checkpoint '" + name + "': known are " + String.join(", ", KNOWN.keySet()));
                return 2;
            }
            Path dir = (cache != null ? cache : defaultCache()).resolve(name);
            Files.createDirectories(dir);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeout))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            for (RemoteFile f : files) {
                Path target = dir.resolve(f.name());
                if (Files.isRegularFile(target) && f.sha256() != null && f.sha256().equals(sha256(target))) {
                    out.println("up to date: " + target);
                    continue;
                }
                URI uri = f.path().startsWith("https://") ? URI.create(f.path())
                        : URI.create(baseUrl.replaceAll("/+$", "") + "/" + f.path());
                try {
                    download(http, uri, f, target, out);
                } catch (ConnectException | HttpConnectTimeoutException | UnresolvedAddressException e) {
                    err.println("cannot reach " + uri.getHost() + " to download " + name + " (offline?): " + e
                            + ". Everything else works from local paths: pass --model PATH.");
                    return 3;
                } catch (IOException e) {
                    if (e.getCause() instanceof UnresolvedAddressException || e instanceof UnknownHostException) {
                        err.println("cannot resolve " + uri.getHost() + " to download " + name + " (offline?). "
                                + "Everything else works from local paths: pass --model PATH.");
                        return 3;
                    }
                    err.println("download of " + uri + " failed: " + e.getMessage());
                    return 4;
                }
            }
            out.println("pulled " + name + " into " + dir);
            out.flush();
            return 0;
        }

        private void download(HttpClient http, URI uri, RemoteFile f, Path target, PrintWriter out) throws IOException, InterruptedException {
            HttpResponse<InputStream> resp = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            if (resp.statusCode() != 200) {
                resp.body().close();
                throw new IOException("HTTP " + resp.statusCode() + " for " + uri);
            }
            String expected = f.sha256();
            if (expected == null) expected = publishedSha256(resp);
            Path tmp = target.resolveSibling(target.getFileName() + ".part");
            MessageDigest md = newSha();
            try (InputStream in = resp.body(); var os = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    os.write(buf, 0, n);
                }
            }
            String got = HexFormat.of().formatHex(md.digest());
            if (expected != null && !expected.equalsIgnoreCase(got)) {
                Files.deleteIfExists(tmp);
                throw new IOException("SHA-256 mismatch for " + f.name() + ": expected " + expected + " but downloaded " + got);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(target.resolveSibling(f.name() + ".sha256"), got + "  " + f.name() + "\n");
            out.println((expected != null ? "verified " : "downloaded (no published checksum; recorded) ") + target + " sha256 " + got);
        }

        /** Hugging Face serves LFS files with their SHA-256 as X-Linked-Etag (redirect) or ETag. */
        static String publishedSha256(HttpResponse<?> resp) {
            for (HttpResponse<?> r = resp; r != null; r = r.previousResponse().orElse(null)) {
                for (String h : new String[]{"x-linked-etag", "etag"}) {
                    String v = r.headers().firstValue(h).orElse("").replace("\"", "").replaceFirst("^W/", "");
                    if (v.matches("[0-9a-fA-F]{64}")) return v.toLowerCase();
                }
            }
            return null;
        }
    }

    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() { return KNOWN.keySet().iterator(); }
    }

    static MessageDigest newSha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Path p) throws IOException {
        return ModelLoader.sha256(List.of(p));
    }
}
