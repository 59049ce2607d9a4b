package io.latentwatch.monitor.audit;

import io.latentwatch.schema.AuditCheckpoint;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Signed checkpoints of the hash chain: {@code hmac = HMAC-SHA256(key, canonical)} (RFC 2104) over
 * the text {@code "latentwatch-audit-checkpoint-v1\n" topic "\n" partition "\n" sequence "\n"
 * hash "\n" timestampMs "\n" keyId}, hash empty for an empty chain. A text form rather than the Avro
 * encoding: the signature then survives schema evolution of the checkpoint record, and another
 * language can recompute it from the fields alone.
 *
 * <p>Why checkpoints besides the chain: the chain proves that every record follows from the one
 * before, but a partition truncated at its end, or rewritten as a new chain consistent in itself,
 * still verifies. A checkpoint signed with a key the writer of the log does not hold fixes the
 * head (sequence, hash) at a time, so either is detected.
 */
public final class Checkpoints {
    static final String VERSION = "latentwatch-audit-checkpoint-v1";
    private static final String ALGORITHM = "HmacSHA256";

    private Checkpoints() {}

    /** The checkpoint of {@code topic}'s partition whose chain head is (sequence, hash) at {@code at}, signed with {@code key}. */
    public static AuditCheckpoint sign(AuditKey key, String topic, int partition, long sequence, String hash, Instant at) {
        AuditCheckpoint c = AuditCheckpoint.newBuilder().setTopic(topic).setPartition(partition).setSequence(sequence)
                .setHash(hash).setTimestampMs(at).setKeyId(key.id()).setHmac("").build();
        c.setHmac(hmac(key, c));
        return c;
    }

    /** The text the HMAC covers: every field but the HMAC itself. */
    static String canonical(AuditCheckpoint c) {
        return VERSION + '\n' + c.getTopic() + '\n' + c.getPartition() + '\n' + c.getSequence() + '\n'
                + (c.getHash() == null ? "" : c.getHash()) + '\n' + c.getTimestampMs().toEpochMilli() + '\n' + c.getKeyId();
    }

    /** HMAC-SHA256 of the checkpoint's canonical text, hex. */
    public static String hmac(AuditKey key, AuditCheckpoint c) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key.secret(), ALGORITHM));
            return HexFormat.of().formatHex(mac.doFinal(canonical(c).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
        }
    }

    /** True when {@code c} carries the HMAC {@code key} gives its content (compared in constant time). */
    public static boolean valid(AuditKey key, AuditCheckpoint c) {
        if (c.getHmac() == null) return false;
        byte[] want = hmac(key, c).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(want, c.getHmac().getBytes(StandardCharsets.US_ASCII));
    }
}
