package io.latentwatch.monitor.audit;

import io.latentwatch.schema.Explanation;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The explanations topic's per-partition hash chain:
 * {@code hash_n = SHA-256( utf8(previousHash_n or "") || canonical(record_n) )} with
 * {@code previousHash_n = hash_(n-1)} and {@code sequence_n = n} (0-based within the partition).
 *
 * <p>The canonical content is the record's Avro binary encoding under the Explanation schema this
 * class was compiled with, with {@code hash} set to null (it cannot cover itself) and every other
 * field — sequence and previousHash included — as written. Avro binary is deterministic for a given
 * schema (map entries are written in the record's map order, and Explanation has no maps). A later
 * schema version must keep hashing with the schema the chain was started with, or carry a schema id.
 */
public final class HashChain {
    private HashChain() {}

    public static byte[] canonical(Explanation e) {
        Explanation copy = Explanation.newBuilder(e).setHash(null).build();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(512);
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            new SpecificDatumWriter<>(Explanation.class).write(copy, enc);
            enc.flush();
            return out.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The hash a record must carry, given its own previousHash and content. */
    public static String hashOf(Explanation e) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((e.getPreviousHash() == null ? "" : e.getPreviousHash()).getBytes(StandardCharsets.UTF_8));
            d.update(canonical(e));
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Links {@code e} after the chain's last hash (null for the first record) at position {@code sequence}. */
    public static Explanation link(Explanation e, String previousHash, long sequence) {
        Explanation linked = Explanation.newBuilder(e).setPreviousHash(previousHash).setSequence(sequence).setHash(null).build();
        linked.setHash(hashOf(linked));
        return linked;
    }
}
