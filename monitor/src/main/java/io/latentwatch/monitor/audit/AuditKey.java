package io.latentwatch.monitor.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;

/**
 * The secret that signs the compliance log's checkpoints (HMAC-SHA256, RFC 2104). It comes from a
 * file ({@code monitor.audit.key.file}, {@code latentwatch audit verify --audit-key-file}) or from
 * the environment variable {@value #ENV} — never from a flag or a properties value, so it does not
 * end up in a shell history, a config dump or a log. Its text (trailing whitespace stripped, UTF-8)
 * is the HMAC key; at least {@value #MIN_BYTES} bytes, the HMAC-SHA256 block's recommended minimum
 * (RFC 2104 section 3: not shorter than the hash output). {@link #id()} names the key without
 * revealing it (the first 16 hex digits of its SHA-256), so a verifier given the wrong key says so.
 */
public final class AuditKey {
    /** Environment variable holding the key itself (a file is preferable: environments leak into process listings). */
    public static final String ENV = "LATENTWATCH_AUDIT_KEY";
    public static final int MIN_BYTES = 32;
    private static final String HOW = "generate one with: head -c 32 /dev/urandom | base64 > audit.key (chmod 600)";

    private final byte[] secret;
    private final String id;

    private AuditKey(byte[] secret) {
        if (secret.length < MIN_BYTES) {
            throw new IllegalArgumentException("the audit key has " + secret.length + " bytes, at least " + MIN_BYTES
                    + " are needed for HMAC-SHA256; " + HOW);
        }
        this.secret = secret.clone();
        this.id = HexFormat.of().formatHex(sha256(secret)).substring(0, 16);
    }

    /** The key from its text (trailing whitespace, e.g. a newline, stripped). */
    public static AuditKey of(String text) {
        return new AuditKey(text.stripTrailing().getBytes(StandardCharsets.UTF_8));
    }

    /** The key from a file; a clear error when it is missing, unreadable or too short. */
    public static AuditKey fromFile(Path file) {
        try {
            return of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the audit key file " + file + " (" + e.getClass().getSimpleName()
                    + "): give a readable file; " + HOW, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key from {@code file} when given (not blank), else from {@value #ENV} in {@code env},
     * else null (no checkpoints are signed).
     */
    public static AuditKey resolve(String file, Map<String, String> env) {
        if (file != null && !file.isBlank()) return fromFile(Path.of(file.trim()));
        String v = env.get(ENV);
        if (v != null && !v.isBlank()) {
            try {
                return of(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("$" + ENV + ": " + e.getMessage(), e);
            }
        }
        return null;
    }

    /** First 16 hex digits of SHA-256(key): which key signed, without revealing it. */
    public String id() { return id; }

    byte[] secret() { return secret.clone(); }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override public boolean equals(Object o) { return o instanceof AuditKey k && Arrays.equals(secret, k.secret); }

    @Override public int hashCode() { return id.hashCode(); }

    /** Never the secret. */
    @Override public String toString() { return "AuditKey[id=" + id + "]"; }
}
