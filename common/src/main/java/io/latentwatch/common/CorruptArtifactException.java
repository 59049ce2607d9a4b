package io.latentwatch.common;

import java.io.IOException;

/** An artifact whose files do not hash to the SHA-256 recorded for it. */
public final class CorruptArtifactException extends IOException {
    public CorruptArtifactException(String message) {
        super(message);
    }
}
