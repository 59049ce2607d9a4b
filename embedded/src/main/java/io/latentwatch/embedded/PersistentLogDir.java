package io.latentwatch.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * What a persistent {@link EmbeddedKafka} data directory remembers between starts: the cluster id
 * that {@code Formatter} wrote into {@value EmbeddedKafka#META_PROPERTIES} (a formatted directory
 * must never be formatted again: that would be a new, empty cluster) and the controller port.
 */
final class PersistentLogDir {

    private PersistentLogDir() {
    }

    /** The cluster id of a formatted directory, or null if {@code dir} has not been formatted. */
    static String clusterId(Path dir) {
        Path meta = dir.resolve(EmbeddedKafka.META_PROPERTIES);
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + meta, e);
        }
        String id = p.getProperty("cluster.id");
        if (id == null || id.isBlank()) {
            throw new IllegalStateException(meta + " has no cluster.id: the directory is damaged; move it away to start a new cluster");
        }
        return id.trim();
    }

    /** The remembered controller port, or a free one for a directory that has none yet. */
    static int controllerPort(Path dir) {
        Path f = dir.resolve(EmbeddedKafka.CONTROLLER_PORT_FILE);
        if (Files.isRegularFile(f)) {
            try {
                return Integer.parseInt(Files.readString(f, StandardCharsets.UTF_8).trim());
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + f, e);
            } catch (NumberFormatException e) {
                throw new IllegalStateException(f + " does not hold a port number", e);
            }
        }
        return EmbeddedKafka.freePort();
    }

    static void rememberControllerPort(Path dir, int port) {
        try {
            Files.writeString(dir.resolve(EmbeddedKafka.CONTROLLER_PORT_FILE), port + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the controller port into " + dir, e);
        }
    }
}
