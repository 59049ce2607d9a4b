package io.latentwatch.interp.circuits;

/** An attention head, named as TransformerLens prints it ("L1H3"). */
public record HeadId(int layer, int head) implements Comparable<HeadId> {
    public HeadId {
        if (layer < 0 || head < 0) throw new IllegalArgumentException("layer and head must be >= 0, got L" + layer + "H" + head);
    }

    /** Flat index layer * nHeads + head (the order of {@link CodeTable} columns). */
    public int index(int nHeads) { return layer * nHeads + head; }

    public static HeadId of(int flat, int nHeads) { return new HeadId(flat / nHeads, flat % nHeads); }

    @Override public int compareTo(HeadId o) { return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(head, o.head); }

    @Override public String toString() { return "L" + layer + "H" + head; }
}
