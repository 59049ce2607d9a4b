package io.latentwatch.monitor;

import io.latentwatch.monitor.incident.IncidentGrouper;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The monitor's own settings, Kafka-properties style ({@code monitor.*} keys), each overridable by
 * an environment variable: {@code LATENTWATCH_} + the key upper-cased with dots as underscores
 * ({@code monitor.drift.fdr} -> {@code LATENTWATCH_MONITOR_DRIFT_FDR}). Precedence: environment,
 * then explicit properties, then the defaults below.
 */
public final class MonitorConfig {
    public static final String BATCH_MAX_RECORDS = "monitor.batch.max.records";
    public static final String BATCH_MAX_MS = "monitor.batch.max.ms";
    /** Samples older than this on arrival mean the monitor is catching up: drains then wait for full batches. */
    public static final String BATCH_BACKLOG_MS = "monitor.batch.backlog.ms";
    public static final String PROJECTION_MAX_LATENTS = "monitor.projection.max.latents";
    public static final String RECON_QUANTILE = "monitor.recon.quantile";
    public static final String RECON_MARGIN = "monitor.recon.margin";
    public static final String RECON_CRITICAL_FACTOR = "monitor.recon.critical.factor";
    public static final String DRIFT_WINDOW = "monitor.drift.window.samples";
    public static final String DRIFT_FDR = "monitor.drift.fdr";
    public static final String RARE_EPSILON = "monitor.rare.epsilon";
    public static final String RARE_MIN_ACTIVATION = "monitor.rare.min.activation";
    public static final String WATCHLIST_FILE = "monitor.watchlist.file";
    public static final String CIRCUIT_SEVERITY = "monitor.circuit.severity";
    public static final String EXPLAIN_WORKERS = "monitor.explain.workers";
    public static final String EXPLAIN_QUEUE = "monitor.explain.queue";
    public static final String EXPLAIN_TIMEOUT_MS = "monitor.explain.timeout.ms";
    public static final String EXPLAIN_PROMPT_TEXT = "monitor.explain.prompt.text";
    public static final String EXPLANATIONS_PARTITIONS = "monitor.explanations.partitions";
    public static final String HTTP_PORT = "monitor.http.port";
    public static final String HTTP_HOST = "monitor.http.host";
    public static final String LENS_WARMUP = "monitor.lens.warmup.samples";
    public static final String LENS_QUANTILE = "monitor.lens.quantile";
    public static final String LENS_MARGIN = "monitor.lens.margin";
    /** Prefix of per-model keys {@code monitor.tuned-lens.dir.<modelId>} = directory of a tuned lens (config.json + safetensors). */
    public static final String TUNED_LENS_DIR_PREFIX = "monitor.tuned-lens.dir.";
    /** Incidents: an open incident resolves after this long without a new alert. */
    public static final String INCIDENT_QUIET_MS = "monitor.incident.quiet.ms";
    /** Incidents: alerts within this long after a resolve re-open the incident instead of paging anew. */
    public static final String INCIDENT_COOLDOWN_MS = "monitor.incident.cooldown.ms";
    public static final String INCIDENT_MAX_ALERTS = "monitor.incident.max.alerts";
    /** How long the incident page can look up an explanation by alert id. */
    public static final String INCIDENT_EXPLANATION_RETENTION_MS = "monitor.incident.explanation.retention.ms";
    public static final String ENV_PREFIX = "LATENTWATCH_";

    private static final Map<String, String> DEFAULTS = new TreeMap<>(Map.ofEntries(
            Map.entry(BATCH_MAX_RECORDS, "256"),
            Map.entry(BATCH_MAX_MS, "25"),
            Map.entry(BATCH_BACKLOG_MS, "1000"),
            Map.entry(PROJECTION_MAX_LATENTS, "64"),
            Map.entry(RECON_QUANTILE, "p99.9"),
            Map.entry(RECON_MARGIN, "1.0"),
            Map.entry(RECON_CRITICAL_FACTOR, "4.0"),
            Map.entry(DRIFT_WINDOW, "500"),
            Map.entry(DRIFT_FDR, "0.001"),
            Map.entry(RARE_EPSILON, "1e-4"),
            Map.entry(RARE_MIN_ACTIVATION, "0.0"),
            Map.entry(WATCHLIST_FILE, ""),
            Map.entry(CIRCUIT_SEVERITY, "WARNING"),
            Map.entry(EXPLAIN_WORKERS, "1"),
            Map.entry(EXPLAIN_QUEUE, "16"),
            Map.entry(EXPLAIN_TIMEOUT_MS, "5000"),
            Map.entry(EXPLAIN_PROMPT_TEXT, "false"),
            Map.entry(EXPLANATIONS_PARTITIONS, "0"),
            Map.entry(HTTP_PORT, "-1"),
            Map.entry(HTTP_HOST, "127.0.0.1"),
            Map.entry(LENS_WARMUP, "200"),
            Map.entry(LENS_QUANTILE, "0.99"),
            Map.entry(LENS_MARGIN, "1.5"),
            Map.entry(INCIDENT_QUIET_MS, "30000"),
            Map.entry(INCIDENT_COOLDOWN_MS, "300000"),
            Map.entry(INCIDENT_MAX_ALERTS, "200"),
            Map.entry(INCIDENT_EXPLANATION_RETENTION_MS, "86400000")));

    private final Map<String, String> values;

    private MonitorConfig(Map<String, String> values) { this.values = values; }

    public static MonitorConfig defaults() { return of(Map.of(), Map.of()); }

    /** Explicit properties over the defaults, the process environment over both. */
    public static MonitorConfig of(Map<String, String> props) { return of(props, System.getenv()); }

    public static MonitorConfig of(Map<String, String> props, Map<String, String> env) {
        Map<String, String> v = new TreeMap<>(DEFAULTS);
        props.forEach((k, val) -> {
            if (!known(k)) throw new IllegalArgumentException("unknown monitor setting '" + k + "' (known: " + DEFAULTS.keySet() + ")");
            v.put(k, val);
        });
        for (String k : DEFAULTS.keySet()) {
            String e = env.get(envName(k));
            if (e != null) v.put(k, e);
        }
        MonitorConfig c = new MonitorConfig(v);
        c.validate();
        return c;
    }

    public static MonitorConfig load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) { p.load(r); }
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) if (k.startsWith("monitor.")) m.put(k, p.getProperty(k));
        return of(m);
    }

    public static String envName(String key) { return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_'); }

    public MonitorConfig with(String key, Object value) {
        Map<String, String> m = new TreeMap<>(values);
        if (!known(key)) throw new IllegalArgumentException("unknown monitor setting '" + key + "'");
        m.put(key, String.valueOf(value));
        MonitorConfig c = new MonitorConfig(m);
        c.validate();
        return c;
    }

    private static boolean known(String key) {
        return DEFAULTS.containsKey(key) || (key.startsWith(TUNED_LENS_DIR_PREFIX) && key.length() > TUNED_LENS_DIR_PREFIX.length());
    }

    /** Tuned-lens directories by model id, from the {@code monitor.tuned-lens.dir.<modelId>} keys. */
    public Map<String, Path> tunedLensDirs() {
        Map<String, Path> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(TUNED_LENS_DIR_PREFIX) && !v.isBlank()) out.put(k.substring(TUNED_LENS_DIR_PREFIX.length()), Path.of(v.trim()));
        });
        return out;
    }

    private void validate() {
        if (integer(LENS_WARMUP) < 2) throw new IllegalArgumentException(LENS_WARMUP + " must be >= 2, got " + integer(LENS_WARMUP));
        double lq = dbl(LENS_QUANTILE);
        if (!(lq > 0 && lq < 1)) throw new IllegalArgumentException(LENS_QUANTILE + " must be in (0, 1), got " + lq);
        if (!(dbl(LENS_MARGIN) > 0)) throw new IllegalArgumentException(LENS_MARGIN + " must be > 0, got " + dbl(LENS_MARGIN));
        positive(BATCH_MAX_RECORDS);
        positive(BATCH_MAX_MS);
        positive(BATCH_BACKLOG_MS);
        positive(PROJECTION_MAX_LATENTS);
        positive(DRIFT_WINDOW);
        positive(EXPLAIN_WORKERS);
        positive(EXPLAIN_QUEUE);
        double fdr = dbl(DRIFT_FDR);
        if (!(fdr > 0 && fdr < 1)) throw new IllegalArgumentException(DRIFT_FDR + " must be in (0, 1), got " + fdr);
        io.latentwatch.schema.Severity.valueOf(str(CIRCUIT_SEVERITY).toUpperCase(Locale.ROOT));
    }

    private void positive(String k) {
        long v = lng(k);
        if (v <= 0) throw new IllegalArgumentException(k + " must be > 0, got " + v);
    }

    public String str(String key) {
        String v = values.get(key);
        if (v == null) throw new IllegalArgumentException("unknown monitor setting '" + key + "'");
        return v.trim();
    }

    public int integer(String key) {
        try { return Integer.parseInt(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be an integer, got '" + str(key) + "'"); }
    }

    public long lng(String key) {
        try { return Long.parseLong(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be an integer, got '" + str(key) + "'"); }
    }

    public double dbl(String key) {
        try { return Double.parseDouble(str(key)); }
        catch (NumberFormatException e) { throw new IllegalArgumentException(key + " must be a number, got '" + str(key) + "'"); }
    }

    public boolean bool(String key) { return Boolean.parseBoolean(str(key)); }

    /** The incident grouping settings ({@code monitor.incident.*}). */
    public IncidentGrouper.Config incidents() {
        return new IncidentGrouper.Config(Duration.ofMillis(lng(INCIDENT_QUIET_MS)), Duration.ofMillis(lng(INCIDENT_COOLDOWN_MS)),
                integer(INCIDENT_MAX_ALERTS));
    }

    public Map<String, String> asMap() { return new TreeMap<>(values); }

    @Override public String toString() { return "MonitorConfig" + values; }
}
