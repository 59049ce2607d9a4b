package io.latentwatch.interp.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The detector thresholds the trainer chose for one SAE version, written beside its SAELens files as
 * {@value #FILE} and carried in {@code SaeVersion.thresholds} (the {@link #values} map plus {@link #RATE},
 * {@link #SAMPLES_PER_REQUEST}, {@link #REFERENCE_REQUESTS}).
 *
 * @param falseAlarmRate    target share of normal requests each detector flags (the unit is the request)
 * @param samplesPerRequest sampled positions per request the calibration assumed (the node's random-k)
 * @param referenceRequests held-out reference texts the thresholds were chosen on
 * @param values            per detector, e.g. {@code recon-error.margin}; see the key constants
 * @param measured          false-alarm rate per detector on the calibration requests themselves
 * @param latentFrequency   firing frequency of each latent on the SAE's full training set, Jeffreys-smoothed
 *                          ((count + 0.5) / (rows + 1)), or null; what the rare-latent detector compares with
 * @param frequencyRows     training rows {@code latentFrequency} was counted on
 */
public record DetectorThresholds(double falseAlarmRate, int samplesPerRequest, int referenceRequests, Map<String, Double> values,
                                 Map<String, Double> measured, float[] latentFrequency, long frequencyRows) {
    public static final String FILE = "latentwatch_thresholds.json";
    /** Default target: 1% of normal requests per detector. */
    public static final double DEFAULT_RATE = 0.01;

    public static final String RATE = "false_alarm_rate";
    public static final String SAMPLES_PER_REQUEST = "samples_per_request";
    public static final String REFERENCE_REQUESTS = "reference_requests";
    /** Recon-error: multiplier on the position bucket's {@link #RECON_BASE_QUANTILE} error quantile. */
    public static final String RECON_MARGIN = "recon-error.margin";
    /** The bucket quantile the recon-error margin multiplies, as the baseline's key ("p99"). */
    public static final String RECON_BASE_QUANTILE = "p99";
    /** Rare-latent: a firing latent whose training-set frequency is below this is rare. */
    public static final String RARE_EPSILON = "rare-latent.epsilon";
    /** Activation-norm: reference mean and standard deviation of the activation's L2 norm, and the |z| threshold. */
    public static final String NORM_MEAN = "activation-norm.mean";
    public static final String NORM_SD = "activation-norm.sd";
    public static final String NORM_Z = "activation-norm.z";

    private static final ObjectMapper JSON = new ObjectMapper();

    public DetectorThresholds {
        values = Map.copyOf(values);
        measured = measured == null ? Map.of() : Map.copyOf(measured);
    }

    /** The flat map carried by {@code SaeVersion.thresholds}. */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(RATE, falseAlarmRate);
        m.put(SAMPLES_PER_REQUEST, (double) samplesPerRequest);
        m.put(REFERENCE_REQUESTS, (double) referenceRequests);
        m.putAll(values);
        return m;
    }

    /** From {@code SaeVersion.thresholds} ({@link #asMap}): null when empty (no thresholds were chosen for the version). */
    public static DetectorThresholds fromMap(Map<String, Double> m) {
        if (m == null || m.isEmpty()) return null;
        Map<String, Double> v = new LinkedHashMap<>(m);
        double rate = v.containsKey(RATE) ? v.remove(RATE) : DEFAULT_RATE;
        Double k = v.remove(SAMPLES_PER_REQUEST), n = v.remove(REFERENCE_REQUESTS);
        return new DetectorThresholds(rate, k == null ? 1 : k.intValue(), n == null ? 0 : n.intValue(), v, Map.of(), null, 0);
    }

    /** Jeffreys-smoothed frequencies from firing counts: a latent never seen in N rows gets 0.5 / (N + 1), not 0. */
    public static float[] smoothedFrequency(long[] counts, long rows) {
        float[] f = new float[counts.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) ((counts[i] + 0.5) / (rows + 1.0));
        return f;
    }

    public void write(Path dir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("false_alarm_rate", falseAlarmRate);
        o.put("unit", "request: a request is flagged when any of its sampled positions crosses the threshold");
        o.put("samples_per_request", samplesPerRequest);
        o.put("reference_requests", referenceRequests);
        ObjectNode v = o.putObject("thresholds");
        values.forEach(v::put);
        ObjectNode m = o.putObject("measured_on_reference");
        measured.forEach(m::put);
        if (latentFrequency != null) {
            o.put("latent_frequency_rows", frequencyRows);
            ArrayNode f = o.putArray("latent_frequency");
            for (float x : latentFrequency) f.add(x);
        }
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The thresholds in {@code dir}, or null when the version has none (written before thresholds existed). */
    public static DetectorThresholds readIfPresent(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) return null;
        JsonNode o = JSON.readTree(file.toFile());
        Map<String, Double> v = new LinkedHashMap<>();
        o.path("thresholds").fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asDouble()));
        Map<String, Double> m = new LinkedHashMap<>();
        o.path("measured_on_reference").fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asDouble()));
        float[] f = null;
        if (o.has("latent_frequency")) {
            f = new float[o.get("latent_frequency").size()];
            for (int i = 0; i < f.length; i++) f[i] = (float) o.get("latent_frequency").get(i).asDouble();
        }
        return new DetectorThresholds(o.path("false_alarm_rate").asDouble(DEFAULT_RATE), o.path("samples_per_request").asInt(1),
                o.path("reference_requests").asInt(0), v, m, f, o.path("latent_frequency_rows").asLong(0));
    }

    /** A threshold value, or null. */
    public Double get(String key) { return values.get(key); }
}
