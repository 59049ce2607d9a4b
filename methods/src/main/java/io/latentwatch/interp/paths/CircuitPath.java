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

    /**
     * Routes from {@code c} to the logits: directly, through every later MLP (and chains of later MLPs, in order),
     * and, with {@code viaHeads}, through every input of every later head straight to the logits. Each route is the
     * list of steps after c. Used to let a hypothesis say "this component's output, wherever it goes through MLPs".
     */
    public static List<List<PathStep>> exits(Component c, ModelConfig cfg, boolean viaHeads) {
        List<List<PathStep>> out = new ArrayList<>();
        PathStep logits = new PathStep(Component.LOGITS, Port.IN);
        out.add(List.of(logits));
        List<Component> mlps = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) if (c.feeds(Component.mlp(l))) mlps.add(Component.mlp(l));
        // every ordered subset of the later MLPs (at most 2^4 = 16 for the zoo; capped at 6 MLPs)
        int n = Math.min(mlps.size(), 6);
        for (int mask = 1; mask < (1 << n); mask++) {
            List<PathStep> route = new ArrayList<>();
            for (int i = 0; i < n; i++) if ((mask & (1 << i)) != 0) route.add(new PathStep(mlps.get(i), Port.IN));
            route.add(logits);
            out.add(route);
        }
        if (viaHeads)
            for (Component r : Component.all(cfg))
                if (r.kind() == Component.Kind.HEAD && c.feeds(r))
                    for (Port p : r.inputPorts()) out.add(List.of(new PathStep(r, p), logits));
        return out;
    }

    /** {@code prefix} (ending at some component, the first step without a port) followed by each route. */
    public static List<CircuitPath> compose(List<PathStep> prefix, List<List<PathStep>> routes) {
        List<CircuitPath> out = new ArrayList<>();
        for (List<PathStep> r : routes) {
            List<PathStep> s = new ArrayList<>(prefix);
            s.addAll(r);
            out.add(new CircuitPath(s));
        }
        return out;
    }

    public static List<CircuitPath> compose(String prefix, List<List<PathStep>> routes) {
        return compose(parsePrefix(prefix), routes);
    }

    /** Parses "embed -> L0H1.v -> L1H2.k" (a path without its end at the logits). */
    static List<PathStep> parsePrefix(String s) {
        List<PathStep> st = new ArrayList<>(parse(s + " -> logits").steps());
        st.remove(st.size() - 1);
        return st;
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
