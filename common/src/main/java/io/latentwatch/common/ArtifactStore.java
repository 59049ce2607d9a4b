package io.latentwatch.common;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * SAE artifacts in a directory tree: {@code root/<model>/<hook>/<version>/} holding the SAELens
 * files and latentwatch's own. Publishing copies into a hidden staging directory and renames it into
 * place in one atomic move, so a reader (or a crash) never sees a half-written version. The SHA-256
 * of an artifact covers every file: SHA-256 over the lines "relative/path\tsha256(file)\n" in path
 * order. {@link #verify} recomputes it and refuses a mismatch.
 *
 * <p>The store also keeps, per model and hook, {@code current.json} naming the version in force and
 * its metrics; it is replaced atomically and only after a version was fully published.
 */
public final class ArtifactStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path root;

    public record Artifact(URI uri, String sha256, Path dir) {}

    public record Current(String version, URI uri, String sha256, Map<String, Double> metrics) {}

    public ArtifactStore(Path root) throws IOException {
        this.root = Files.createDirectories(root).toAbsolutePath();
    }

    public Path root() { return root; }

    /**
     * Deletes the hidden staging directories of publishes that died before their rename (a trainer killed while
     * writing), when older than {@code minAge} (a publish in progress elsewhere is younger); returns how many.
     * None of them was ever in force: only a complete directory is renamed into place.
     */
    public int removeStaleStaging(Duration minAge) throws IOException {
        Instant cutoff = Instant.now().minus(minAge);
        int n = 0;
        try (Stream<Path> s = Files.walk(root, 3)) {
            for (Path p : s.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith(".staging-")).toList()) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                    deleteTree(p);
                    n++;
                }
            }
        }
        return n;
    }

    public static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    Path dirFor(String modelId, String hook) {
        return root.resolve(safe(modelId)).resolve(safe(hook));
    }

    /**
     * The next version number for a model and hook: one more than the largest numeric version
     * directory in the store (1 for the first). Numbers taken by a refit that wrote its artifacts
     * but crashed before announcing them are not reused, so a version name always means one set of
     * files.
     */
    public String nextVersion(String modelId, String hook) throws IOException {
        Path dir = dirFor(modelId, hook);
        long max = 0;
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    String n = p.getFileName().toString();
                    if (Files.isDirectory(p) && n.matches("[0-9]{1,18}")) max = Math.max(max, Long.parseLong(n));
                }
            }
        }
        return Long.toString(max + 1);
    }

    /** Copies {@code staging}'s files into the store as {@code version}; fails if that version exists. */
    public Artifact publish(Path staging, String modelId, String hook, String version) throws IOException {
        Path parent = Files.createDirectories(dirFor(modelId, hook));
        Path target = parent.resolve(safe(version));
        if (Files.exists(target)) throw new IOException(target + ": version already exists in the artifact store");
        Path tmp = Files.createTempDirectory(parent, ".staging-" + safe(version) + "-");
        try {
            for (Path f : files(staging)) {
                Path dest = tmp.resolve(staging.relativize(f).toString());
                Files.createDirectories(dest.getParent());
                Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
            }
            String sha = sha256(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(parent + ": the file system cannot rename atomically; refusing a non-atomic publish", e);
            }
            return new Artifact(target.toUri(), sha, target);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /**
     * Where a version's files are for a reader of this store: {@code root/<model>/<hook>/<version>} when
     * that directory exists (the store is mounted at {@code root} here, wherever the writer had it), else
     * {@code announced}, the URI the version was announced with.
     */
    public static URI locate(Path root, String modelId, String hook, String version, URI announced) {
        Path dir = root.resolve(safe(modelId)).resolve(safe(hook)).resolve(safe(version));
        return Files.isDirectory(dir) ? dir.toAbsolutePath().toUri() : announced;
    }

    /** Recomputes the artifact's hash; throws {@link CorruptArtifactException} when it differs. */
    public static Path verify(URI uri, String expectedSha256) throws IOException {
        Path dir = Path.of(uri);
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir + ": artifact directory not found");
        String actual = sha256(dir);
        if (!actual.equalsIgnoreCase(expectedSha256)) {
            throw new CorruptArtifactException(dir + ": SHA-256 " + actual + " does not match the recorded " + expectedSha256
                    + "; refusing the artifact");
        }
        return dir;
    }

    public static String sha256(Path dir) throws IOException {
        MessageDigest all = digest();
        for (Path f : files(dir)) {
            MessageDigest one = digest();
            try (InputStream in = Files.newInputStream(f)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) one.update(buf, 0, n);
            }
            String rel = dir.relativize(f).toString().replace('\\', '/');
            all.update((rel + "\t" + HexFormat.of().formatHex(one.digest()) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(all.digest());
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted((a, b) -> dir.relativize(a).toString().compareTo(dir.relativize(b).toString())).toList();
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The version in force for a model and hook, or null. */
    public Current current(String modelId, String hook) throws IOException {
        Path f = dirFor(modelId, hook).resolve("current.json");
        if (!Files.exists(f)) return null;
        var o = JSON.readTree(f.toFile());
        Map<String, Double> m = new LinkedHashMap<>();
        o.get("metrics").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asDouble()));
        return new Current(o.get("version").asText(), URI.create(o.get("uri").asText()), o.get("sha256").asText(), m);
    }

    /** Makes {@code artifact} the version in force (atomic replace of current.json). */
    public void promote(String modelId, String hook, String version, Artifact artifact, Map<String, Double> metrics) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", version);
        o.put("uri", artifact.uri().toString());
        o.put("sha256", artifact.sha256());
        ObjectNode m = o.putObject("metrics");
        metrics.forEach(m::put);
        Path dir = Files.createDirectories(dirFor(modelId, hook));
        Path tmp = dir.resolve("current.json.tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("current.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static void deleteTree(Path p) {
        if (p == null || !Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.deleteIfExists(x);
                } catch (IOException ignored) {
                    // best effort: a leftover hidden staging dir is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
