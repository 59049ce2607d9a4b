package io.latentwatch.interp.paths;

/**
 * The input through which a receiving component reads the residual stream. A head reads it three
 * times (query, key and value, each after its own norm), which is what lets a path say "into the
 * key of the induction head" (K-composition, Elhage et al. 2021); MLPs and the logits read it once.
 */
public enum Port {
    Q, K, V, IN;

    public static Port parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "q" -> Q;
            case "k" -> K;
            case "v" -> V;
            case "in", "" -> IN;
            default -> throw new IllegalArgumentException("unknown input '" + s + "': expected q, k or v");
        };
    }

    public String label() { return name().toLowerCase(); }
}
