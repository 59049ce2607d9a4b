package io.latentwatch.monitor.incident;

import io.latentwatch.monitor.TopLatents;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentAlert;
import io.latentwatch.schema.IncidentScope;
import io.latentwatch.schema.IncidentStatus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rules that turn a stream of alerts into incidents, free of Kafka so they can be tested on their
 * own. State per group key is the incident itself (the last record emitted for it):
 *
 * <ul>
 *   <li>the first alert of a group opens an incident ({@link IncidentStatus#OPEN}); its id derives from
 *       the group key and that alert's id, so reprocessing yields the same id;</li>
 *   <li>later alerts update it ({@link IncidentStatus#UPDATED}); an alert id already in the incident is
 *       a duplicate (a redelivery) and changes nothing;</li>
 *   <li>{@code quietPeriod} without a new alert resolves it ({@link IncidentStatus#RESOLVED}, checked by
 *       {@link #onTick});</li>
 *   <li>an alert within {@code cooldown} after the resolve re-opens the same incident (reopenCount + 1)
 *       instead of paging with a new one; after the cooldown the state is dropped and the next alert
 *       opens a new incident.</li>
 * </ul>
 */
public final class IncidentGrouper {
    /** Detectors whose findings are about a window of traffic, not the request that closed the window. */
    public static final Set<String> WINDOW_DETECTORS = Set.of("latent-drift");

    /**
     * @param quietPeriod an open incident resolves after this long without a new alert
     * @param cooldown    a resolved incident re-opens on alerts within this long after the resolve
     * @param maxAlerts   alerts kept per incident (alertCount keeps counting beyond)
     */
    public record Config(Duration quietPeriod, Duration cooldown, int maxAlerts) {
        public Config {
            if (quietPeriod.isNegative() || quietPeriod.isZero()) throw new IllegalArgumentException("quiet period must be > 0, got " + quietPeriod);
            if (cooldown.isNegative()) throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldown);
            if (maxAlerts < 1) throw new IllegalArgumentException("max alerts per incident must be >= 1, got " + maxAlerts);
        }

        public static Config defaults() {
            return new Config(Duration.ofSeconds(30), Duration.ofMinutes(5), 200);
        }
    }

    /** The new state for the group (null: forget it) and the record to publish (null: nothing changed). */
    public record Step(Incident state, Incident emit) {
        static final Step NONE = new Step(null, null);
    }

    private final Config config;

    public IncidentGrouper(Config config) {
        this.config = config;
    }

    public Config config() {
        return config;
    }

    /** Window-level findings and alerts not about a request group per (model, hook, detector). */
    public static IncidentScope scope(Alert a) {
        return a.getRequestId() == null || WINDOW_DETECTORS.contains(a.getDetector()) ? IncidentScope.WINDOW : IncidentScope.REQUEST;
    }

    /** {@code request|model|requestId} or {@code window|model|hook|detector}. */
    public static String groupKey(Alert a) {
        return scope(a) == IncidentScope.REQUEST
                ? "request|" + a.getModelId() + "|" + a.getRequestId()
                : "window|" + a.getModelId() + "|" + a.getHook() + "|" + a.getDetector();
    }

    /** A deterministic id: the same group and first alert always give the same incident id. */
    static String incidentId(String groupKey, String firstAlertId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((groupKey + "\n" + firstAlertId).getBytes(StandardCharsets.UTF_8));
            return "inc-" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    /** Folds one alert into the group's state. */
    public Step onAlert(Incident current, Alert a, long nowMs) {
        String key = groupKey(a);
        if (current == null || (current.getStatus() == IncidentStatus.RESOLVED && cooledDown(current, nowMs))) {
            Incident opened = Incident.newBuilder()
                    .setIncidentId(incidentId(key, a.getAlertId())).setGroupKey(key).setScope(scope(a))
                    .setStatus(IncidentStatus.OPEN).setModelId(a.getModelId()).setModelVersion(a.getModelVersion())
                    .setHook(a.getHook()).setDetector(a.getDetector()).setDetectors(List.of(a.getDetector()))
                    .setHooks(List.of(a.getHook())).setSeverity(a.getSeverity())
                    .setRequestId(scope(a) == IncidentScope.REQUEST ? a.getRequestId() : null).setSaeVersion(a.getSaeVersion())
                    .setOpenedMs(Instant.ofEpochMilli(nowMs)).setUpdatedMs(Instant.ofEpochMilli(nowMs)).setLastAlertMs(Instant.ofEpochMilli(nowMs))
                    .setResolvedMs(null).setAlertCount(1).setReopenCount(0).setRevision(0)
                    .setAlerts(List.of(entry(a))).setSummary("").build();
            opened.setSummary(IncidentSummary.line(opened));
            return new Step(opened, opened);
        }
        for (IncidentAlert known : current.getAlerts()) {
            if (known.getAlertId().equals(a.getAlertId())) return new Step(current, null); // a redelivery
        }
        Incident next = Incident.newBuilder(current).build();
        if (current.getStatus() == IncidentStatus.RESOLVED) {
            next.setStatus(IncidentStatus.OPEN);
            next.setResolvedMs(null);
            next.setReopenCount(current.getReopenCount() + 1);
        } else {
            next.setStatus(IncidentStatus.UPDATED);
        }
        List<IncidentAlert> alerts = new ArrayList<>(current.getAlerts());
        if (alerts.size() < config.maxAlerts()) alerts.add(entry(a));
        next.setAlerts(alerts);
        next.setAlertCount(current.getAlertCount() + 1);
        next.setDetectors(sortedWith(current.getDetectors(), a.getDetector()));
        next.setHooks(sortedWith(current.getHooks(), a.getHook()));
        if (a.getSeverity().ordinal() > current.getSeverity().ordinal()) {
            // The incident is named after its most severe alert.
            next.setSeverity(a.getSeverity());
            next.setHook(a.getHook());
            next.setDetector(a.getDetector());
        }
        if (a.getSaeVersion() != null) next.setSaeVersion(a.getSaeVersion());
        next.setUpdatedMs(Instant.ofEpochMilli(nowMs));
        next.setLastAlertMs(Instant.ofEpochMilli(nowMs));
        next.setRevision(current.getRevision() + 1);
        next.setSummary(IncidentSummary.line(next));
        return new Step(next, next);
    }

    /** Time passing: resolves quiet incidents, forgets resolved ones whose cooldown is over. */
    public Step onTick(Incident current, long nowMs) {
        if (current.getStatus() == IncidentStatus.RESOLVED) {
            return cooledDown(current, nowMs) ? Step.NONE : new Step(current, null);
        }
        if (nowMs - current.getLastAlertMs().toEpochMilli() < config.quietPeriod().toMillis()) return new Step(current, null);
        Incident resolved = Incident.newBuilder(current).setStatus(IncidentStatus.RESOLVED)
                .setResolvedMs(Instant.ofEpochMilli(nowMs)).setUpdatedMs(Instant.ofEpochMilli(nowMs))
                .setRevision(current.getRevision() + 1).build();
        resolved.setSummary(IncidentSummary.line(resolved));
        return new Step(resolved, resolved);
    }

    private boolean cooledDown(Incident resolved, long nowMs) {
        return nowMs - resolved.getResolvedMs().toEpochMilli() >= config.cooldown().toMillis();
    }

    private static IncidentAlert entry(Alert a) {
        return IncidentAlert.newBuilder().setAlertId(a.getAlertId()).setDetector(a.getDetector()).setHook(a.getHook())
                .setSeverity(a.getSeverity()).setScore(a.getScore()).setThreshold(a.getThreshold()).setPosition(a.getPosition())
                .setTimestampMs(a.getTimestampMs()).setSummary(a.getSummary())
                // Explanations are keyed by alert id on the explanations topic: the id is the audit reference.
                .setExplanationRef(a.getAlertId())
                .setTopLatents(a.getAttributes().get(TopLatents.ATTRIBUTE)).build();
    }

    private static List<String> sortedWith(List<String> values, String value) {
        TreeSet<String> s = new TreeSet<>(values);
        s.add(value);
        return new ArrayList<>(s);
    }
}
