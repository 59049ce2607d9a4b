package io.latentwatch.monitor.audit;

import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointVerifierTest {
    static final AuditKey KEY = AuditKey.of("0123456789abcdef0123456789abcdef-test-key\n");
    static final String TOPIC = "lw.explanations";
    static final Instant NOW = Instant.parse("2026-12-03T06:00:00Z");

    @Test
    void theHmacIsRfc2104HmacSha256OverTheCanonicalText() throws Exception {
        AuditCheckpoint c = Checkpoints.sign(KEY, TOPIC, 2, 41, "ab12", Instant.ofEpochMilli(1234));
        String text = "latentwatch-audit-checkpoint-v1\nlw.explanations\n2\n41\nab12\n1234\n" + KEY.id();
        assertEquals(text, Checkpoints.canonical(c));
        Mac mac = Mac.getInstance("HmacSHA256");
        // The trailing newline of a key file is not part of the key.
        mac.init(new SecretKeySpec("0123456789abcdef0123456789abcdef-test-key".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertEquals(HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8))), c.getHmac());
        assertTrue(Checkpoints.valid(KEY, c));
        // Any field changed after signing breaks it.
        assertFalse(Checkpoints.valid(KEY, AuditCheckpoint.newBuilder(c).setSequence(40).build()));
        assertFalse(Checkpoints.valid(KEY, AuditCheckpoint.newBuilder(c).setHash("ab13").build()));
        assertFalse(Checkpoints.valid(KEY, AuditCheckpoint.newBuilder(c).setTimestampMs(Instant.ofEpochMilli(1235)).build()));
        assertFalse(Checkpoints.valid(AuditKey.of("another key, also long enough to sign with!"), c));
    }

    @Test
    void keysComeFromAFileOrTheEnvironmentAreLongEnoughAndNeverPrinted(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("audit.key");
        Files.writeString(f, "0123456789abcdef0123456789abcdef-test-key\n");
        assertEquals(KEY, AuditKey.resolve(f.toString(), Map.of()));
        assertEquals(KEY, AuditKey.resolve("", Map.of(AuditKey.ENV, "0123456789abcdef0123456789abcdef-test-key")));
        assertNull(AuditKey.resolve(null, Map.of()));
        IllegalArgumentException shortKey = assertThrows(IllegalArgumentException.class, () -> AuditKey.of("short"));
        assertTrue(shortKey.getMessage().contains("/dev/urandom"), shortKey.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> AuditKey.resolve(dir.resolve("none").toString(), Map.of()));
        assertTrue(missing.getMessage().contains("cannot read the audit key file"), missing.getMessage());
        assertFalse(KEY.toString().contains("0123456789abcdef0123"), KEY.toString());
        assertEquals(16, KEY.id().length());
    }

    /** Checkpoints every 3 records of an n-record chain, at minute i. */
    static List<AuditCheckpoint> checkpoints(List<Explanation> chain, Instant last) {
        List<AuditCheckpoint> out = new ArrayList<>();
        for (int i = 2; i < chain.size(); i += 3) {
            out.add(Checkpoints.sign(KEY, TOPIC, 0, i, chain.get(i).getHash(), last.minusSeconds(60L * (chain.size() - i))));
        }
        out.add(Checkpoints.sign(KEY, TOPIC, 0, chain.size() - 1, chain.get(chain.size() - 1).getHash(), last));
        return out;
    }

    static List<ChainVerifier.Problem> check(List<AuditCheckpoint> cps, List<Explanation> log, long retentionBoundary, Duration maxAge) {
        CheckpointVerifier v = new CheckpointVerifier(KEY, TOPIC, NOW, maxAge);
        for (int i = 0; i < cps.size(); i++) v.checkpoint(0, i, cps.get(i));
        long last = -1;
        for (int i = 0; i < log.size(); i++) {
            v.record(0, i, log.get(i).getSequence(), log.get(i).getHash());
            last = log.get(i).getSequence();
        }
        v.end(0, last, retentionBoundary, log.size(), log.isEmpty() ? null : log.get(0).getTimestampMs());
        return v.problems();
    }

    static List<String> kinds(List<ChainVerifier.Problem> ps) { return ps.stream().map(ChainVerifier.Problem::kind).toList(); }

    @Test
    void anUntouchedLogMatchesItsCheckpoints() {
        List<Explanation> chain = ChainVerifierTest.chain(10);
        List<AuditCheckpoint> cps = checkpoints(chain, NOW.minusSeconds(30));
        assertEquals(List.of(), check(cps, chain, -1, Duration.ofMinutes(10)));
        CheckpointVerifier v = new CheckpointVerifier(KEY, TOPIC, NOW, null);
        cps.forEach(c -> v.checkpoint(0, 0, c));
        chain.forEach(e -> v.record(0, 0, e.getSequence(), e.getHash()));
        v.end(0, 9, -1, 10, chain.get(0).getTimestampMs());
        assertEquals(cps.size(), v.summaries().get(0).checkpoints());
        assertEquals(9, v.summaries().get(0).newestSequence());
        assertEquals(4, v.summaries().get(0).checked(), "sequences 2, 5, 8 and 9 matched");
    }

    @Test
    void aPartitionTruncatedAtItsEndIsFoundThoughItsChainIsIntact() {
        List<Explanation> chain = ChainVerifierTest.chain(10);
        List<AuditCheckpoint> cps = checkpoints(chain, NOW.minusSeconds(30));
        List<Explanation> cut = chain.subList(0, 7);
        assertEquals(List.of(), new ChainVerifierTestAccess().problems(cut), "the chain alone cannot see it");
        List<ChainVerifier.Problem> ps = check(cps, cut, -1, Duration.ofMinutes(10));
        assertEquals(List.of("truncated"), kinds(ps), ps.toString());
        assertTrue(ps.get(0).detail().contains("ends at sequence 6") && ps.get(0).detail().contains("3 record(s) removed"), ps.toString());
    }

    @Test
    void aWholePartitionRewrittenAsAConsistentChainIsFound() {
        List<Explanation> chain = ChainVerifierTest.chain(10);
        List<AuditCheckpoint> cps = checkpoints(chain, NOW.minusSeconds(30));
        // A new chain, every link right, one record's content changed and everything after re-hashed.
        List<Explanation> forged = new ArrayList<>();
        String prev = null;
        for (int i = 0; i < 10; i++) {
            Explanation raw = i == 4 ? Explanation.newBuilder(ChainVerifierTest.raw(4)).setText("nothing happened").build() : ChainVerifierTest.raw(i);
            Explanation e = HashChain.link(raw, prev, i);
            prev = e.getHash();
            forged.add(e);
        }
        assertEquals(List.of(), new ChainVerifierTestAccess().problems(forged), "consistent in itself");
        List<ChainVerifier.Problem> ps = check(cps, forged, -1, Duration.ofMinutes(10));
        assertEquals(List.of("rewritten", "rewritten", "rewritten"), kinds(ps), "sequences 5, 8 and 9: " + ps);
        // A partition emptied altogether.
        assertEquals(List.of("truncated"), kinds(check(cps, List.of(), -1, null)));
    }

    @Test
    void forgedForeignAndOtherKeyCheckpointsAreNamed() {
        List<Explanation> chain = ChainVerifierTest.chain(4);
        AuditCheckpoint good = Checkpoints.sign(KEY, TOPIC, 0, 3, chain.get(3).getHash(), NOW.minusSeconds(5));
        AuditCheckpoint edited = AuditCheckpoint.newBuilder(good).setSequence(1).setHash(chain.get(1).getHash()).build();
        AuditCheckpoint otherKey = Checkpoints.sign(AuditKey.of("an attacker's key of thirty-two bytes or more"), TOPIC, 0, 3, "ff",
                NOW.minusSeconds(5));
        AuditCheckpoint foreign = Checkpoints.sign(KEY, "prod.explanations", 0, 3, "ff", NOW.minusSeconds(5));
        assertEquals(List.of("forged-checkpoint", "unknown-key", "foreign-checkpoint"),
                kinds(check(List.of(good, edited, otherKey, foreign), chain, -1, Duration.ofMinutes(10))));
    }

    @Test
    void aMissingRecentCheckpointIsStaleAndNoCheckpointAtAllIsMissing() {
        List<Explanation> chain = ChainVerifierTest.chain(4);
        List<AuditCheckpoint> old = List.of(Checkpoints.sign(KEY, TOPIC, 0, 3, chain.get(3).getHash(), NOW.minus(Duration.ofHours(2))));
        List<ChainVerifier.Problem> ps = check(old, chain, -1, Duration.ofMinutes(10));
        assertEquals(List.of("checkpoint-stale"), kinds(ps));
        assertTrue(ps.get(0).detail().contains("--max-checkpoint-age"), ps.toString());
        assertEquals(List.of(), check(old, chain, -1, Duration.ZERO), "any age allowed");
        // The records are from 1970 (ChainVerifierTest's timestamps): they should have been signed long ago.
        assertEquals(List.of("checkpoint-missing"), kinds(check(List.of(), chain, -1, Duration.ofMinutes(10))));
    }

    @Test
    void signedHeadsBeforeTheRetentionBoundaryAreCountedNotFailed() {
        List<Explanation> chain = ChainVerifierTest.chain(10);
        List<AuditCheckpoint> cps = checkpoints(chain, NOW.minusSeconds(30));
        CheckpointVerifier v = new CheckpointVerifier(KEY, TOPIC, NOW, Duration.ofMinutes(10));
        cps.forEach(c -> v.checkpoint(0, 0, c));
        chain.subList(6, 10).forEach(e -> v.record(0, 0, e.getSequence(), e.getHash()));
        v.end(0, 9, 6, 4, chain.get(6).getTimestampMs());
        assertEquals(List.of(), v.problems());
        assertEquals(2, v.summaries().get(0).beforeRetention(), "sequences 2 and 5 were deleted by retention");
    }

    /** ChainVerifier over one partition, as audit verify runs it. */
    static final class ChainVerifierTestAccess {
        List<ChainVerifier.Problem> problems(List<Explanation> es) { return ChainVerifierTest.verify(es); }
    }
}
