package io.latentwatch.monitor.audit;

/**
 * The head of one partition's hash chain: the sequence number and hash of the last explanation linked
 * ({@link HashChain}). Kept in the monitor's changelogged chain-heads store in the string form
 * {@code "sequence|hash"} (what released monitors wrote, so their state stays readable); this record is the one
 * place that writes and parses that form.
 *
 * @param sequence the last linked record's position in the chain (0 = first)
 * @param hash     its SHA-256, hex
 */
public record ChainHead(long sequence, String hash) {
    public ChainHead {
        if (sequence < 0) throw new IllegalArgumentException("chain sequence " + sequence + " is negative");
        if (hash == null || hash.isEmpty() || hash.indexOf('|') >= 0) throw new IllegalArgumentException("chain hash '" + hash + "' is empty or contains '|'");
    }

    /** Parses {@code "sequence|hash"}; throws naming the value when it is not in that form. */
    public static ChainHead parse(String stored) {
        int bar = stored == null ? -1 : stored.indexOf('|');
        if (bar <= 0) throw new IllegalArgumentException("chain head '" + stored + "' is not sequence|hash");
        try {
            return new ChainHead(Long.parseLong(stored.substring(0, bar)), stored.substring(bar + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("chain head '" + stored + "' is not sequence|hash", e);
        }
    }

    /** The head after linking one more record with hash {@code next}. */
    public ChainHead next(String nextHash) {
        return new ChainHead(sequence + 1, nextHash);
    }

    /** {@code "sequence|hash"}, the stored form. */
    public String encode() {
        return sequence + "|" + hash;
    }
}
