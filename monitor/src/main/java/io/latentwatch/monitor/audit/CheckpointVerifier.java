package io.latentwatch.monitor.audit;

import io.latentwatch.schema.AuditCheckpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Checks the explanations topic against its signed checkpoints (see {@link Checkpoints}); no Kafka
 * here, {@link AuditVerifier} feeds it. First every checkpoint ({@link #checkpoint}), then each
 * partition's chain records in order ({@link #record}) and its end ({@link #end}). Problems it names:
 * <ul>
 *   <li>{@code forged-checkpoint} — the HMAC does not match the content under the given key;</li>
 *   <li>{@code unknown-key} — signed with another key (the wrong key file, or a forgery);</li>
 *   <li>{@code foreign-checkpoint} — a checkpoint of another explanations topic;</li>
 *   <li>{@code conflicting-checkpoints} — two valid checkpoints sign different hashes for one sequence;</li>
 *   <li>{@code rewritten} — the log's record at a signed sequence carries another hash: the partition
 *       was rewritten (possibly as a chain consistent in itself);</li>
 *   <li>{@code truncated} — a signed head lies beyond the partition's last record (records removed
 *       from the end, or the partition deleted and re-created);</li>
 *   <li>{@code checkpoint-stale} / {@code checkpoint-missing} — the newest checkpoint of a partition is
 *       older than the allowed age, or a partition whose records are older than that has none: the
 *       monitor is not running or not signing, or recent checkpoints (and the records they cover) were
 *       removed.</li>
 * </ul>
 * Signed sequences before a partition's retention boundary are not checked (their records were
 * deleted by the configured retention) and are counted as such.
 */
public final class CheckpointVerifier {
    /** Per partition: valid checkpoints read, the newest one, and how many signed heads fell before the retention boundary. */
    public record Summary(int partition, int checkpoints, Instant newest, long newestSequence, int beforeRetention, int checked) {}

    private final AuditKey key;
    private final String topic;
    private final Instant now;
    private final Duration maxAge;
    private final List<ChainVerifier.Problem> problems = new ArrayList<>();
    /** partition -> signed sequence -> hash, for heads not yet met in the log. */
    private final Map<Integer, NavigableMap<Long, String>> pending = new TreeMap<>();
    private final Map<Integer, Instant> signedAt = new TreeMap<>();
    private final Map<Integer, Integer> counts = new TreeMap<>();
    private final Map<Integer, AuditCheckpoint> newest = new TreeMap<>();
    private final Map<Integer, Integer> checked = new TreeMap<>();
    private final Map<Integer, Summary> summaries = new TreeMap<>();

    /**
     * {@code maxAge}: how old the newest checkpoint of a partition may be ({@code null} or zero: not
     * checked, e.g. when verifying an archived log).
     */
    public CheckpointVerifier(AuditKey key, String topic, Instant now, Duration maxAge) {
        this.key = key;
        this.topic = topic;
        this.now = now;
        this.maxAge = maxAge == null || maxAge.isZero() ? null : maxAge;
    }

    /** One checkpoint record, read at {@code offset} of the checkpoint topic's partition {@code cpPartition}. */
    public void checkpoint(int cpPartition, long offset, AuditCheckpoint c) {
        String where = "checkpoint at offset " + offset + " of checkpoint partition " + cpPartition;
        if (!topic.equals(c.getTopic())) {
            problems.add(new ChainVerifier.Problem(c.getPartition(), -1, c.getSequence(), "foreign-checkpoint",
                    where + " is for topic " + c.getTopic() + ", not " + topic));
            return;
        }
        if (!key.id().equals(c.getKeyId())) {
            problems.add(new ChainVerifier.Problem(c.getPartition(), -1, c.getSequence(), "unknown-key",
                    where + " is signed with key id " + c.getKeyId() + ", not the given key (id " + key.id()
                            + "): the wrong key file, or a forged checkpoint"));
            return;
        }
        if (!Checkpoints.valid(key, c)) {
            problems.add(new ChainVerifier.Problem(c.getPartition(), -1, c.getSequence(), "forged-checkpoint",
                    where + " does not carry the HMAC of its content under key " + key.id() + ": forged or edited"));
            return;
        }
        int p = c.getPartition();
        counts.merge(p, 1, Integer::sum);
        AuditCheckpoint n = newest.get(p);
        if (n == null || !c.getTimestampMs().isBefore(n.getTimestampMs())) newest.put(p, c);
        if (c.getSequence() < 0 || c.getHash() == null) return;   // the chain was empty then
        NavigableMap<Long, String> heads = pending.computeIfAbsent(p, k -> new TreeMap<>());
        String before = heads.putIfAbsent(c.getSequence(), c.getHash());
        if (before != null && !before.equals(c.getHash())) {
            problems.add(new ChainVerifier.Problem(p, -1, c.getSequence(), "conflicting-checkpoints",
                    "two validly signed checkpoints name different hashes for sequence " + c.getSequence() + " (" + before
                            + ", " + c.getHash() + "): the chain was restarted or rewritten while the monitor signed"));
        }
        signedAt.merge(p, c.getTimestampMs(), (a, b) -> a.isAfter(b) ? a : b);
    }

    /** A record of the explanations topic, in offset order within its partition. */
    public void record(int partition, long offset, long sequence, String hash) {
        NavigableMap<Long, String> heads = pending.get(partition);
        if (heads == null) return;
        String signed = heads.remove(sequence);
        if (signed == null) return;
        checked.merge(partition, 1, Integer::sum);
        if (!signed.equals(hash)) {
            problems.add(new ChainVerifier.Problem(partition, offset, sequence, "rewritten",
                    "a signed checkpoint says sequence " + sequence + " has hash " + signed + ", the log's record has "
                            + hash + ": the partition was rewritten"));
        }
    }

    /**
     * The end of a partition: {@code lastSequence} of its last chained record (-1 if none),
     * {@code retentionBoundary} as {@link ChainVerifier#retentionBoundary()}, {@code oldest} the
     * timestamp of its first record (null if none).
     */
    public void end(int partition, long lastSequence, long retentionBoundary, long records, Instant oldest) {
        NavigableMap<Long, String> heads = pending.remove(partition);
        int beforeRetention = 0;
        if (heads != null && !heads.isEmpty()) {
            if (retentionBoundary > 0) {
                NavigableMap<Long, String> old = heads.headMap(retentionBoundary, false);
                beforeRetention = old.size();
                old.clear();
            }
            NavigableMap<Long, String> beyond = heads.tailMap(lastSequence, false);
            if (!beyond.isEmpty()) {
                AuditCheckpoint n = newest.get(partition);
                problems.add(new ChainVerifier.Problem(partition, -1, beyond.lastKey(), "truncated",
                        "signed checkpoints (the latest of " + (n == null ? "?" : n.getTimestampMs()) + ") say the chain reached sequence "
                                + beyond.lastKey() + ", but the partition " + (lastSequence < 0 ? "holds no chained record"
                                : "ends at sequence " + lastSequence) + ": " + (beyond.lastKey() - lastSequence)
                                + " record(s) removed from its end"));
                beyond.clear();
            }
            for (Map.Entry<Long, String> missing : heads.entrySet()) {
                problems.add(new ChainVerifier.Problem(partition, -1, missing.getKey(), "rewritten",
                        "a signed checkpoint names sequence " + missing.getKey() + " (hash " + missing.getValue()
                                + "), which is not in the log: the partition was rewritten"));
            }
        }
        AuditCheckpoint n = newest.get(partition);
        if (maxAge != null) {
            Instant limit = now.minus(maxAge);
            if (n == null && records > 0 && oldest != null && oldest.isBefore(limit)) {
                problems.add(new ChainVerifier.Problem(partition, -1, -1, "checkpoint-missing",
                        records + " record(s) since " + oldest + " and no signed checkpoint: the monitor signs none "
                                + "(no audit key configured?) or they were removed"));
            } else if (n != null && n.getTimestampMs().isBefore(limit)) {
                problems.add(new ChainVerifier.Problem(partition, -1, n.getSequence(), "checkpoint-stale",
                        "the newest signed checkpoint is of " + n.getTimestampMs() + ", older than " + maxAge
                                + ": the monitor is not running or not signing, or recent checkpoints and the records they "
                                + "cover were removed (allow an older one with --max-checkpoint-age)"));
            }
        }
        summaries.put(partition, new Summary(partition, counts.getOrDefault(partition, 0), n == null ? null : n.getTimestampMs(),
                n == null ? -1 : n.getSequence(), beforeRetention, checked.getOrDefault(partition, 0)));
    }

    /** Problems, including checkpoints of partitions the topic no longer has (call after every {@link #end}). */
    public List<ChainVerifier.Problem> problems() {
        List<ChainVerifier.Problem> out = new ArrayList<>(problems);
        pending.forEach((p, heads) -> {
            if (!heads.isEmpty() && !summaries.containsKey(p)) {
                out.add(new ChainVerifier.Problem(p, -1, heads.lastKey(), "truncated",
                        "signed checkpoints name partition " + p + " up to sequence " + heads.lastKey() + ", which the topic no longer has"));
            }
        });
        return out;
    }

    public Map<Integer, Summary> summaries() { return summaries; }

    public String keyId() { return key.id(); }
}
