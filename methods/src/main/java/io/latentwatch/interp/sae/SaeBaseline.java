package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What "normal" looks like for an SAE on reference data: the monitor's detectors compare live
 * traffic against it. Written beside the SAELens files as {@code latentwatch_baseline.json}, plus
 * SAELens's own {@code sparsity.safetensors} (tensor "sparsity" = log10 of each latent's firing
 * frequency, the file SAELens's loaders return as log_sparsity).
 *
 * @param firingFrequency share of reference tokens on which each latent is active
 * @param errorQuantiles  quantiles of the per-token relative reconstruction error ||x − x̂||²/||x||²
 * @param histogramEdges  log-spaced bin edges of that error (histogramCounts has one fewer entry)
 * @param positionQuantiles the same error quantiles per token-position bucket ({@link #bucketOf}), for the
 *                        buckets with at least {@link #MIN_BUCKET_ROWS} reference rows; empty when the
 *                        reference rows' positions were unknown (and in baseline files written before
 *                        buckets existed). The reconstruction error depends strongly on the position
 *                        (BOS and the first tokens are reconstructed far better than later ones), so one
 *                        global quantile is too loose early and too tight late.
 */
public record SaeBaseline(int tokens, double fvu, double mse, double meanL0, float[] firingFrequency,
                          Map<String, Double> errorQuantiles, double[] histogramEdges, long[] histogramCounts,
                          List<PositionBucket> positionQuantiles) {

    /**
     * Error quantiles of the reference rows at token positions {@code from} (inclusive) to {@code to}
     * (exclusive).
     */
    public record PositionBucket(int from, int to, int rows, Map<String, Double> errorQuantiles) {
        public boolean contains(int position) { return position >= from && position < to; }

        /** "position 3" or "positions 16-31". */
        public String describe() { return to - from == 1 ? "position " + from : "positions " + from + "-" + (to - 1); }
    }

    /** Fewest reference rows a position bucket needs for its own quantiles (fewer: the global ones apply). */
    public static final int MIN_BUCKET_ROWS = 100;
    /** Positions below this have a bucket each; later ones share power-of-two buckets [16, 32), [32, 64), ... */
    static final int EXACT_POSITIONS = 16;

    public SaeBaseline {
        positionQuantiles = positionQuantiles == null ? List.of() : List.copyOf(positionQuantiles);
    }

    /** A baseline without position buckets (the global quantiles apply everywhere). */
    public SaeBaseline(int tokens, double fvu, double mse, double meanL0, float[] firingFrequency,
                       Map<String, Double> errorQuantiles, double[] histogramEdges, long[] histogramCounts) {
        this(tokens, fvu, mse, meanL0, firingFrequency, errorQuantiles, histogramEdges, histogramCounts, List.of());
    }

    public static final String FILE = "latentwatch_baseline.json";
    public static final String SPARSITY_FILE = "sparsity.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();
    static final double[] QUANTILES = {0.5, 0.9, 0.95, 0.99, 0.999};

    public static SaeBaseline of(SaeEvaluation ev) {
        return of(ev, null);
    }

    /**
     * As {@link #of(SaeEvaluation)}, plus per-position-bucket quantiles when {@code positions} gives the
     * token position of each evaluated row (same order as the evaluation's rows; null or any negative
     * entry = positions unknown, no buckets).
     */
    public static SaeBaseline of(SaeEvaluation ev, int[] positions) {
        float[] err = ev.relativeError().clone();
        Arrays.sort(err);
        Map<String, Double> q = quantiles(err);
        // 40 log-spaced bins from 1e-5 to 10 plus under/overflow in the end bins: relative errors span decades.
        int bins = 40;
        double lo = 1e-5, hi = 10;
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) edges[i] = lo * Math.pow(hi / lo, (double) i / bins);
        long[] counts = new long[bins];
        for (float e : err) {
            int b = e <= lo ? 0 : (int) Math.floor(Math.log(e / lo) / Math.log(hi / lo) * bins);
            counts[Math.max(0, Math.min(bins - 1, b))]++;
        }
        return new SaeBaseline(ev.rows(), ev.fvu(), ev.mse(), ev.l0(), ev.firingFrequency().clone(), q, edges, counts,
                buckets(ev.relativeError(), positions));
    }

    /** The bucket of a token position: its own below {@value #EXACT_POSITIONS}, else [2^k, 2^(k+1)). */
    public static int[] bucketOf(int position) {
        if (position < 0) throw new IllegalArgumentException("position must be >= 0, got " + position);
        if (position < EXACT_POSITIONS) return new int[] {position, position + 1};
        int from = Integer.highestOneBit(position);
        return new int[] {from, from > (Integer.MAX_VALUE >> 1) ? Integer.MAX_VALUE : from << 1};
    }

    static List<PositionBucket> buckets(float[] errors, int[] positions) {
        if (positions == null) return List.of();
        if (positions.length != errors.length) {
            throw new IllegalArgumentException(positions.length + " positions for " + errors.length + " evaluated rows");
        }
        TreeMap<Integer, List<Float>> byBucket = new TreeMap<>();
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0) return List.of();
            byBucket.computeIfAbsent(bucketOf(positions[i])[0], k -> new ArrayList<>()).add(errors[i]);
        }
        List<PositionBucket> out = new ArrayList<>();
        for (var e : byBucket.entrySet()) {
            if (e.getValue().size() < MIN_BUCKET_ROWS) continue;
            float[] s = new float[e.getValue().size()];
            for (int i = 0; i < s.length; i++) s[i] = e.getValue().get(i);
            Arrays.sort(s);
            out.add(new PositionBucket(e.getKey(), bucketOf(e.getKey())[1], s.length, quantiles(s)));
        }
        return out;
    }

    private static Map<String, Double> quantiles(float[] sorted) {
        Map<String, Double> q = new LinkedHashMap<>();
        for (double p : QUANTILES) q.put("p" + trim(p * 100), quantile(sorted, p));
        q.put("max", (double) sorted[sorted.length - 1]);
        return q;
    }

    /** The position bucket holding {@code position}, or null (no bucket: the global quantiles apply). */
    public PositionBucket bucketAt(int position) {
        for (PositionBucket b : positionQuantiles) if (b.contains(position)) return b;
        return null;
    }

    /** Error quantiles for a row at {@code position}: its bucket's when it has one, else the global ones. */
    public Map<String, Double> errorQuantilesAt(int position) {
        PositionBucket b = bucketAt(position);
        return b == null ? errorQuantiles : b.errorQuantiles();
    }

    /** Linear-interpolated quantile of sorted data (numpy's default "linear" method). */
    static double quantile(float[] sorted, double p) {
        if (sorted.length == 1) return sorted[0];
        double pos = p * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        double frac = pos - i;
        return i + 1 < sorted.length ? sorted[i] * (1 - frac) + sorted[i + 1] * frac : sorted[i];
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    public void write(Path dir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("tokens", tokens);
        o.put("fvu", fvu);
        o.put("mse", mse);
        o.put("mean_l0", meanL0);
        o.put("error_metric", "relative squared reconstruction error ||x - x_hat||^2 / ||x||^2 per token");
        ObjectNode qn = o.putObject("error_quantiles");
        errorQuantiles.forEach(qn::put);
        ArrayNode e = o.putArray("error_histogram_edges");
        for (double v : histogramEdges) e.add(v);
        ArrayNode c = o.putArray("error_histogram_counts");
        for (long v : histogramCounts) c.add(v);
        ArrayNode pb = o.putArray("error_quantiles_by_position");
        for (PositionBucket b : positionQuantiles) {
            ObjectNode bn = pb.addObject();
            bn.put("from", b.from());
            bn.put("to", b.to());
            bn.put("rows", b.rows());
            ObjectNode bq = bn.putObject("error_quantiles");
            b.errorQuantiles().forEach(bq::put);
        }
        ArrayNode f = o.putArray("firing_frequency");
        for (float v : firingFrequency) f.add(v);
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        float[] logFreq = new float[firingFrequency.length];
        for (int i = 0; i < logFreq.length; i++) logFreq[i] = (float) Math.log10(firingFrequency[i] + 1e-10);
        SafeTensors.write(dir.resolve(SPARSITY_FILE), Map.of("sparsity", new Tensor(logFreq, logFreq.length)));
    }

    public static SaeBaseline read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) throw new NoSuchFileException(file + ": missing latentwatch baseline");
        JsonNode o = JSON.readTree(file.toFile());
        float[] f = new float[o.get("firing_frequency").size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) o.get("firing_frequency").get(i).asDouble();
        Map<String, Double> q = new LinkedHashMap<>();
        o.get("error_quantiles").fields().forEachRemaining(en -> q.put(en.getKey(), en.getValue().asDouble()));
        double[] edges = new double[o.get("error_histogram_edges").size()];
        for (int i = 0; i < edges.length; i++) edges[i] = o.get("error_histogram_edges").get(i).asDouble();
        long[] counts = new long[o.get("error_histogram_counts").size()];
        for (int i = 0; i < counts.length; i++) counts[i] = o.get("error_histogram_counts").get(i).asLong();
        // Files written before position buckets existed have none: the global quantiles apply everywhere.
        List<PositionBucket> buckets = new ArrayList<>();
        for (JsonNode b : o.path("error_quantiles_by_position")) {
            Map<String, Double> bq = new LinkedHashMap<>();
            b.get("error_quantiles").fields().forEachRemaining(en -> bq.put(en.getKey(), en.getValue().asDouble()));
            buckets.add(new PositionBucket(b.get("from").asInt(), b.get("to").asInt(), b.get("rows").asInt(), bq));
        }
        return new SaeBaseline(o.get("tokens").asInt(), o.get("fvu").asDouble(), o.get("mse").asDouble(), o.get("mean_l0").asDouble(),
                f, q, edges, counts, buckets);
    }

    /** A flat summary for SaeVersion.baseline (map of doubles). */
    public Map<String, Double> summary() {
        Map<String, Double> m = new LinkedHashMap<>();
        errorQuantiles.forEach((k, v) -> m.put("recon_error_" + k, v));
        m.put("mean_l0", meanL0);
        m.put("fvu", fvu);
        m.put("tokens", (double) tokens);
        m.put("position_buckets", (double) positionQuantiles.size());
        return m;
    }
}
