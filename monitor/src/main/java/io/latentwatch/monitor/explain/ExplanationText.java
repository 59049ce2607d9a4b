package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.LatentContribution;
import io.latentwatch.schema.TokenProbability;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The plain-words {@code text} of an explanation, for a compliance reader who knows no linear algebra. */
public final class ExplanationText {
    private ExplanationText() {}

    public static String of(Alert a, Explanation e) { return of(a, e, List.of()); }

    /** As {@link #of(Alert, Explanation)}, saying which model readings could not be made and why. */
    public static String of(Alert a, Explanation e, List<String> notRead) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "On %s (weights %s), the %s check raised a %s alert", a.getModelId(),
                shortHash(a.getModelVersion()), a.getDetector(), a.getSeverity().name().toLowerCase(Locale.ROOT)));
        if (a.getRequestId() != null) sb.append(" for request ").append(a.getRequestId());
        sb.append(" at ").append(a.getHook()).append(". ").append(a.getSummary());
        if (!a.getSummary().endsWith(".")) sb.append('.');
        List<LatentContribution> top = e.getTopLatents();
        if (!top.isEmpty()) {
            sb.append(" The dictionary (SAE ").append(e.getSaeVersion() == null ? "?" : e.getSaeVersion())
                    .append(") reads the representation mainly as: ")
                    .append(top.stream().limit(5).map(l -> "latent " + l.getLatent() + (l.getLabel() == null ? "" : " (" + l.getLabel() + ")")
                            + String.format(Locale.ROOT, " at %.3g", l.getActivation())).collect(Collectors.joining(", ")))
                    .append('.');
        }
        if (!e.getLogitLensTokens().isEmpty()) sb.append(" Read through the output layer it points to: ").append(tokens(e.getLogitLensTokens())).append('.');
        if (!e.getTunedLensTokens().isEmpty()) sb.append(" The tuned lens reads: ").append(tokens(e.getTunedLensTokens())).append('.');
        switch (e.getPatchscopeStatus()) {
            case "done" -> sb.append(" Asked to repeat the representation, the model says: \"").append(e.getPatchscopeText()).append("\".");
            case "saturated" -> sb.append(" The decoder was busy; no decoded text was produced for this alert.");
            case "failed" -> sb.append(" Decoding the representation failed.");
            case "blank" -> sb.append(" Asked to repeat the representation, the model answered nothing readable.");
            default -> { }
        }
        if (!notRead.isEmpty()) sb.append(" Not read: ").append(String.join("; ", notRead)).append('.');
        if (!e.getCircuitMatches().isEmpty()) sb.append(" Circuits active: ").append(String.join(", ", e.getCircuitMatches())).append('.');
        return sb.toString();
    }

    private static String tokens(List<TokenProbability> t) {
        return t.stream().limit(5).map(x -> String.format(Locale.ROOT, "'%s' (%.2f)", x.getToken(), x.getProbability()))
                .collect(Collectors.joining(", "));
    }

    private static String shortHash(String h) { return h == null ? "?" : h.length() > 12 ? h.substring(0, 12) : h; }
}
