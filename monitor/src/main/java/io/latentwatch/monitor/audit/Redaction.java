package io.latentwatch.monitor.audit;

import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.LatentContribution;
import io.latentwatch.schema.TokenProbability;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Operator-configured patterns (Java regular expressions, e.g. e-mail addresses or account
 * numbers) whose matches are replaced by {@value #MARK} in every free-text field of an explanation
 * — text, prompt text, Patchscope text, lens tokens, latent labels — before the explanation is
 * hash-chained and written to the compliance log, so the log never holds what was redacted and
 * its hashes cover the redacted form.
 */
public final class Redaction {
    public static final String MARK = "[REDACTED]";
    private static final Redaction NONE = new Redaction(List.of());

    private final List<Pattern> patterns;

    private Redaction(List<Pattern> patterns) { this.patterns = List.copyOf(patterns); }

    public static Redaction none() { return NONE; }

    public static Redaction of(List<Pattern> patterns) { return patterns.isEmpty() ? NONE : new Redaction(patterns); }

    /**
     * Patterns separated by commas; a comma inside {@code {}}, {@code []} or {@code ()}, or escaped
     * with a backslash, belongs to its pattern (so {@code \d{3,4}} stays whole). Blank means none.
     */
    public static Redaction parse(String spec) {
        if (spec == null || spec.isBlank()) return NONE;
        List<Pattern> out = new ArrayList<>();
        for (String p : split(spec)) {
            if (p.isBlank()) continue;
            try {
                out.add(Pattern.compile(p.trim()));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("redaction pattern '" + p.trim() + "' is not a Java regular expression: "
                        + e.getDescription(), e);
            }
        }
        return of(out);
    }

    private static List<String> split(String spec) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < spec.length(); i++) {
            char ch = spec.charAt(i);
            if (ch == '\\' && i + 1 < spec.length()) {
                cur.append(ch).append(spec.charAt(++i));
                continue;
            }
            if (ch == '{' || ch == '[' || ch == '(') depth++;
            if ((ch == '}' || ch == ']' || ch == ')') && depth > 0) depth--;
            if (ch == ',' && depth == 0) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    public boolean isEmpty() { return patterns.isEmpty(); }

    public List<Pattern> patterns() { return patterns; }

    public String apply(String text) {
        if (text == null || patterns.isEmpty()) return text;
        String t = text;
        for (Pattern p : patterns) t = p.matcher(t).replaceAll(MARK);
        return t;
    }

    /** The explanation with every free-text field redacted (the same object when there are no patterns). */
    public Explanation apply(Explanation e) {
        if (patterns.isEmpty()) return e;
        Explanation.Builder b = Explanation.newBuilder(e)
                .setText(apply(e.getText()))
                .setPromptText(apply(e.getPromptText()))
                .setPatchscopeText(apply(e.getPatchscopeText()))
                .setLogitLensTokens(tokens(e.getLogitLensTokens()))
                .setTunedLensTokens(tokens(e.getTunedLensTokens()));
        List<LatentContribution> latents = new ArrayList<>(e.getTopLatents().size());
        for (LatentContribution l : e.getTopLatents()) latents.add(LatentContribution.newBuilder(l).setLabel(apply(l.getLabel())).build());
        return b.setTopLatents(latents).build();
    }

    private List<TokenProbability> tokens(List<TokenProbability> in) {
        List<TokenProbability> out = new ArrayList<>(in.size());
        for (TokenProbability t : in) out.add(TokenProbability.newBuilder(t).setToken(apply(t.getToken())).build());
        return out;
    }

    @Override public String toString() { return "Redaction" + patterns; }
}
