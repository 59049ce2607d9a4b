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
 * Offsets are reported but not required to be consecutive: under exactly-once every transaction
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
    private final List<Problem> problems = new ArrayList<>();
    private String lastHash;
    private long lastSequence = -1;
    private long records;
    private boolean first = true;

    public ChainVerifier(int partition) { this.partition = partition; }

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
}
