package io.latentwatch.monitor.audit;

import io.latentwatch.schema.Explanation;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks one partition's explanations, read in offset order, against the hash chain.
 * Problems it names:
 * <ul>
 *   <li>{@code tampered} — the record's hash is not the hash of its content (edited after writing);</li>
 *   <li>{@code broken-link} — its previousHash is not the previous record's hash (a record removed,
 *       inserted or reordered);</li>
 *   <li>{@code gap} — its sequence is not one more than the previous record's (records missing,
 *       including at the start of the partition when the first record read is not sequence 0);</li>
 *   <li>{@code unchained} — no hash or no sequence at all.</li>
 * </ul>
 * A partition whose oldest records the broker deleted under a configured retention period (the
 * compliance period of the explanations topic) starts mid-chain: constructed with
 * {@code retentionTrimmed}, its first record may have any sequence and a previousHash, and that
 * start is reported as the {@link #retentionBoundary() retention boundary}, not as a gap; every
 * later record is checked as usual.
 *
 * <p>Offsets are reported but not required to be consecutive: under exactly-once every transaction
 * commit marker takes an offset, so offsets of committed records skip by design; the sequence
 * number is what must not skip.
 */
public final class ChainVerifier {
    public record Problem(int partition, long offset, long sequence, String kind, String detail) {
        @Override public String toString() {
            return "partition " + partition + " offset " + offset + " (sequence " + sequence + "): " + kind + " — " + detail;
        }
    }

    private final int partition;
    private final boolean retentionTrimmed;
    private final List<Problem> problems = new ArrayList<>();
    private long retentionBoundary = -1;
    private String lastHash;
    private long lastSequence = -1;
    private long records;
    private boolean first = true;

    public ChainVerifier(int partition) { this(partition, false); }

    /**
     * {@code retentionTrimmed}: the broker has deleted records from the start of this partition
     * (log-start offset above 0 on a topic with a finite retention), so the chain may begin
     * after sequence 0.
     */
    public ChainVerifier(int partition, boolean retentionTrimmed) {
        this.partition = partition;
        this.retentionTrimmed = retentionTrimmed;
    }

    public void accept(long offset, Explanation e) {
        records++;
        if (e.getHash() == null || e.getSequence() < 0) {
            problems.add(new Problem(partition, offset, e.getSequence(), "unchained", "record carries no hash or sequence"));
            first = false;
            lastHash = e.getHash();
            lastSequence = e.getSequence();
            return;
        }
        String expected = HashChain.hashOf(e);
        if (!expected.equals(e.getHash())) {
            problems.add(new Problem(partition, offset, e.getSequence(), "tampered",
                    "content hashes to " + expected + " but the record says " + e.getHash()));
        }
        if (first && retentionTrimmed && e.getSequence() > 0) {
            // The records before this one were deleted by the configured retention: the chain
            // is checked from here on, and the boundary is reported as such.
            retentionBoundary = e.getSequence();
            first = false;
            lastHash = e.getHash();
            lastSequence = e.getSequence();
            return;
        }
        long wantSeq = first ? 0 : lastSequence + 1;
        if (e.getSequence() != wantSeq) {
            problems.add(new Problem(partition, offset, e.getSequence(), "gap",
                    "expected sequence " + wantSeq + (first ? " (start of the partition)" : "") + ", got " + e.getSequence()
                            + " (" + Math.abs(e.getSequence() - wantSeq) + " record(s) missing or repeated)"));
        }
        if (!first && !Objects.equals(e.getPreviousHash(), lastHash)) {
            problems.add(new Problem(partition, offset, e.getSequence(), "broken-link",
                    "previousHash " + e.getPreviousHash() + " is not the previous record's hash " + lastHash));
        } else if (first && e.getSequence() == 0 && e.getPreviousHash() != null) {
            problems.add(new Problem(partition, offset, e.getSequence(), "broken-link",
                    "the first record of the chain must have no previousHash"));
        }
        first = false;
        lastHash = e.getHash();
        lastSequence = e.getSequence();
    }

    public List<Problem> problems() { return problems; }

    public long records() { return records; }

    public String lastHash() { return lastHash; }

    /** Sequence of the last record read (-1 if none). */
    public long lastSequence() { return lastSequence; }

    /** The sequence the chain starts at after records deleted by retention, or -1 if it starts at 0 (or nothing was read). */
    public long retentionBoundary() { return retentionBoundary; }
}
