package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A path through the residual-stream graph, e.g. {@code embed -> L0H2.v -> L1H5.k -> logits}: a chain of
 * components where every receiving head names the input (q, k or v) the previous component enters
 * through. The path must end at the logits.
 *
 * <p>Meaning of the first component (the convention of Wang et al. 2022's path patching, here made a
 * set of paths in the sense of Goldowsky-Dill et al. 2023): a path that starts at {@code embed} is one
 * input-to-output path; a path that starts at a head or MLP stands for <em>every</em> path that runs
 * from the input into that component and then along the chain, i.e. the first component is computed
 * entirely on the clean input.
 */
public record CircuitPath(List<PathStep> steps) {
    public CircuitPath {
        steps = List.copyOf(steps);
        if (steps.size() < 2) throw new IllegalArgumentException("a path needs at least a sender and the logits: " + steps);
        if (steps.get(steps.size() - 1).component().kind() != Component.Kind.LOGITS)
            throw new IllegalArgumentException("path " + str(steps) + " must end at logits");
        if (steps.get(0).component().kind() == Component.Kind.LOGITS)
            throw new IllegalArgumentException("path " + str(steps) + " cannot start at logits");
        for (int i = 1; i < steps.size(); i++) {
            Component s = steps.get(i - 1).component(), r = steps.get(i).component();
            Port p = steps.get(i).port();
            if (!s.feeds(r)) throw new IllegalArgumentException("path " + str(steps) + ": " + s + " does not write into the input of " + r
                    + " (a head reads its layer's resid_pre, an MLP its layer's resid_mid)");
            if (p == null || !r.inputPorts().contains(p))
                throw new IllegalArgumentException("path " + str(steps) + ": " + r + " must be entered through one of "
                        + r.inputPorts() + " (write e.g. " + r + (r.kind() == Component.Kind.HEAD ? ".k" : "") + "), got " + p);
        }
    }

    /** Parses {@code "embed -> L0H2.v -> L1H5.k -> logits"} (arrows "->"; a head's input after a dot). */
    public static CircuitPath parse(String s) {
        String[] parts = s.split("->");
        List<PathStep> steps = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String t = parts[i].trim();
            if (t.isEmpty()) throw new IllegalArgumentException("empty element in path '" + s + "'");
            int dot = t.indexOf('.');
            Component c = Component.parse(dot < 0 ? t : t.substring(0, dot));
            Port p;
            if (i == 0) {
                if (dot >= 0) throw new IllegalArgumentException("path '" + s + "': the first component is a sender and takes no input port");
                p = null;
            } else if (dot >= 0) {
                p = Port.parse(t.substring(dot + 1));
            } else {
                p = c.kind() == Component.Kind.HEAD ? null : Port.IN;
            }
            steps.add(new PathStep(c, p));
        }
        return new CircuitPath(steps);
    }

    public static CircuitPath of(Component sender, Component receiver, Port port) {
        if (receiver.kind() == Component.Kind.LOGITS) return new CircuitPath(List.of(new PathStep(sender, null), new PathStep(receiver, Port.IN)));
        return new CircuitPath(List.of(new PathStep(sender, null), new PathStep(receiver, port), new PathStep(Component.LOGITS, Port.IN)));
    }

    public Component first() { return steps.get(0).component(); }

    public int size() { return steps.size(); }

    public void checkIn(ModelConfig c) {
        for (PathStep st : steps) st.component().checkIn(c);
    }

    private static String str(List<PathStep> steps) {
        StringBuilder sb = new StringBuilder();
        for (PathStep st : steps) sb.append(sb.length() == 0 ? "" : " -> ").append(st);
        return sb.toString();
    }

    @Override
    public String toString() { return str(steps); }
}
