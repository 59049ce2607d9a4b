package io.latentwatch.common;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArtifactStoreStagingTest {
    @Test
    void removesOnlyOldStagingDirectoriesAndNoVersion(@TempDir Path root) throws Exception {
        ArtifactStore store = new ArtifactStore(root);
        Path hook = Files.createDirectories(root.resolve("m").resolve("blocks.1.hook_resid_post"));
        Path old = Files.createDirectories(hook.resolve(".staging-2-123"));
        Files.writeString(old.resolve("sae_weights.safetensors"), "half");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path fresh = Files.createDirectories(hook.resolve(".staging-3-456"));
        Path version = Files.createDirectories(hook.resolve("1"));
        Files.setLastModifiedTime(version, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

        assertEquals(1, store.removeStaleStaging(Duration.ofHours(1)));
        assertFalse(Files.exists(old));
        assertTrue(Files.isDirectory(fresh), "a publish in progress must stay");
        assertTrue(Files.isDirectory(version));
    }
}
