package io.latentwatch.monitor.audit;

import io.latentwatch.schema.Explanation;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChainVerifierTest {
    static Explanation raw(int i) {
        return Explanation.newBuilder().setAlertId("a" + i).setModelId("m").setModelVersion("v").setDetector("recon-error")
                .setScore(i).setThreshold(1).setText("alert " + i).setTimestampMs(Instant.ofEpochMilli(1000 + i)).build();
    }

    static List<Explanation> chain(int n) {
        List<Explanation> out = new ArrayList<>();
        String prev = null;
        for (int i = 0; i < n; i++) {
            Explanation e = HashChain.link(raw(i), prev, i);
            prev = e.getHash();
            out.add(e);
        }
        return out;
    }

    static List<ChainVerifier.Problem> verify(List<Explanation> es) {
        ChainVerifier v = new ChainVerifier(0);
        for (int i = 0; i < es.size(); i++) v.accept(10L * i, es.get(i));
        return v.problems();
    }

    @Test
    void hashIsSha256OverPreviousHashAndContent() throws Exception {
        Explanation e = HashChain.link(raw(1), "abc", 1);
        var md = MessageDigest.getInstance("SHA-256");
        md.update("abc".getBytes(StandardCharsets.UTF_8));
        md.update(HashChain.canonical(e));
        assertEquals(HexFormat.of().formatHex(md.digest()), e.getHash());
        assertNotEquals(e.getHash(), HashChain.link(raw(1), "abd", 1).getHash());
    }

    @Test
    void anIntactChainPassesAndEveryKindOfDamageIsNamed() {
        assertEquals(List.of(), verify(chain(5)));

        List<Explanation> tampered = chain(5);
        tampered.get(2).setText("nothing happened");
        List<ChainVerifier.Problem> p = verify(tampered);
        assertEquals(1, p.size(), p.toString());
        assertEquals("tampered", p.get(0).kind());
        assertEquals(20L, p.get(0).offset());

        List<Explanation> missing = chain(5);
        missing.remove(3);
        p = verify(missing);
        assertTrue(p.stream().anyMatch(x -> x.kind().equals("gap")), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.kind().equals("broken-link")), p.toString());

        List<Explanation> headless = chain(5);
        headless.remove(0);
        p = verify(headless);
        assertEquals("gap", p.get(0).kind(), p.toString());

        // Re-hashing a tampered record does not help: the next link breaks.
        List<Explanation> rehashed = chain(5);
        Explanation forged = HashChain.link(Explanation.newBuilder(rehashed.get(1)).setText("forged").build(),
                rehashed.get(0).getHash(), 1);
        rehashed.set(1, forged);
        p = verify(rehashed);
        assertEquals(1, p.size(), p.toString());
        assertEquals("broken-link", p.get(0).kind());
    }

    @Test
    void aStartDeletedByConfiguredRetentionIsABoundaryNotAGap() {
        List<Explanation> kept = chain(8).subList(3, 8); // sequences 0..2 deleted by the broker

        ChainVerifier trimmed = new ChainVerifier(0, true);
        for (int i = 0; i < kept.size(); i++) trimmed.accept(30L + i, kept.get(i));
        assertEquals(List.of(), trimmed.problems());
        assertEquals(3, trimmed.retentionBoundary());

        // Without a configured retention the same start is missing records.
        List<ChainVerifier.Problem> p = verify(kept);
        assertEquals("gap", p.get(0).kind(), p.toString());

        // After the boundary, damage is still found.
        List<Explanation> broken = new ArrayList<>(kept);
        broken.remove(2);
        ChainVerifier v = new ChainVerifier(0, true);
        for (int i = 0; i < broken.size(); i++) v.accept(30L + i, broken.get(i));
        assertTrue(v.problems().stream().anyMatch(x -> x.kind().equals("gap")), v.problems().toString());
        assertTrue(v.problems().stream().anyMatch(x -> x.kind().equals("broken-link")), v.problems().toString());

        // A trimmed partition whose chain still starts at 0 has no boundary.
        ChainVerifier whole = new ChainVerifier(0, true);
        chain(3).forEach(e -> whole.accept(0, e));
        assertEquals(-1, whole.retentionBoundary());
        assertEquals(List.of(), whole.problems());
    }
}
