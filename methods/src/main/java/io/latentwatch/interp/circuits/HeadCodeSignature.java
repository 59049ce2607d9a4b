package io.latentwatch.interp.circuits;

import java.util.Arrays;
import java.util.List;

/**
 * A circuit signature the monitor can match in real time: the circuit's heads, each with the codes
 * (argmax latents of the circuit SAE, see {@link HeadCoder}) it took only on positive examples.
 * A position matches when at least {@code minMatchedHeads} heads show one of their codes there.
 * Mirrors the Avro record io.latentwatch.schema.CircuitSignature (converted outside interp).
 */
public record HeadCodeSignature(String name, List<HeadCodes> heads, int minMatchedHeads) {

    public record HeadCodes(HeadId head, int[] codes, double score) {
        public HeadCodes {
            codes = codes.clone();
            Arrays.sort(codes);
        }

        public boolean contains(int code) { return Arrays.binarySearch(codes, code) >= 0; }

        @Override public boolean equals(Object o) {
            return o instanceof HeadCodes h && h.head.equals(head) && Arrays.equals(h.codes, codes) && h.score == score;
        }

        @Override public int hashCode() { return head.hashCode() * 31 + Arrays.hashCode(codes); }
    }

    public HeadCodeSignature {
        heads = List.copyOf(heads);
        if (minMatchedHeads < 1 || minMatchedHeads > Math.max(1, heads.size())) {
            throw new IllegalArgumentException("minMatchedHeads must be in 1.." + heads.size() + ", got " + minMatchedHeads);
        }
    }

    /** How many signature heads show one of their codes, given the codes of every head at one position [layer][head]. */
    public int matchedHeads(int[][] codesByLayerHead) {
        int n = 0;
        for (HeadCodes h : heads) {
            HeadId id = h.head();
            if (id.layer() >= codesByLayerHead.length || id.head() >= codesByLayerHead[id.layer()].length) {
                throw new IllegalArgumentException("codes given for " + codesByLayerHead.length + " layers do not cover " + id);
            }
            if (h.contains(codesByLayerHead[id.layer()][id.head()])) n++;
        }
        return n;
    }

    public boolean matches(int[][] codesByLayerHead) { return !heads.isEmpty() && matchedHeads(codesByLayerHead) >= minMatchedHeads; }
}
