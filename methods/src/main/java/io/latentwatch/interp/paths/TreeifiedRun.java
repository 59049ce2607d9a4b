package io.latentwatch.interp.paths;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Path patching of one (clean, reference) pair under a hypothesis, on the treeified model
 * (Goldowsky-Dill et al. 2023, §3): every component is a tree node identified by the chain from it to the
 * logits, so a component that lies on a hypothesis path and off it is computed twice. A node reads, through
 * each of its inputs (q, k, v or the single input), the sum of its senders' outputs; a sender's output is
 * taken along the hypothesis edge (recursively) when (sender, this input, this chain) continues a hypothesis
 * path, and from the reference run otherwise. A node no hypothesis path passes through is exactly the
 * reference run's component (every leaf below it is the reference input); a node where a path starts is
 * exactly the clean run's component (the path starts there: every path into it is clean).
 *
 * <p>Implementation: receiver input = reference input + Σ over the senders on hypothesis edges of
 * (treeified sender output − reference sender output), the direct-path decomposition of the residual
 * stream; components are recomputed with {@link ComponentMath}.
 */
public final class TreeifiedRun {
    private record Node(Component component, List<PathStep> context) {}

    private record Edge(Port port, Component sender) {}

    private final ComponentMath math;
    private final ComponentTrace clean, ref;
    private final Set<Node> starts = new HashSet<>();
    private final Map<Node, Set<Edge>> edges = new HashMap<>();
    private final Map<Node, float[][]> memo = new HashMap<>();
    private int recomputed;
    private int[] logitRows;

    public TreeifiedRun(ComponentMath math, ComponentTrace clean, ComponentTrace reference, Hypothesis hypothesis) {
        if (clean.length() != reference.length())
            throw new IllegalArgumentException("clean and reference inputs differ in length: " + clean.length() + " vs " + reference.length());
        this.math = math;
        this.clean = clean;
        this.ref = reference;
        hypothesis.checkIn(math.config());
        for (CircuitPath p : hypothesis.paths()) {
            List<PathStep> s = p.steps();
            for (int i = 0; i < s.size(); i++) {
                Node n = new Node(s.get(i).component(), s.subList(i + 1, s.size()));
                if (i == 0) starts.add(n);
                else edges.computeIfAbsent(n, k -> new HashSet<>()).add(new Edge(s.get(i).port(), s.get(i - 1).component()));
            }
        }
    }

    /**
     * Computes the patched logits only at these positions (the metric's); the other rows keep the reference
     * run's logits. A speed-up for sweeps: attention is causal, nothing else reads the logits.
     */
    public TreeifiedRun onlyLogitRows(int... rows) {
        this.logitRows = rows.clone();
        return this;
    }

    /** Logits [T][V] of the patched run. */
    public float[][] logits() {
        return value(Component.LOGITS, List.of());
    }

    /** How many components had to be recomputed (the rest came from the clean or reference run). */
    public int recomputed() { return recomputed; }

    /** The output of a tree node (for tests: e.g. a head on no path must equal the reference run's). */
    public float[][] value(Component c, List<PathStep> context) {
        Node n = new Node(c, List.copyOf(context));
        if (starts.contains(n)) return clean.output(c);
        Set<Edge> es = edges.get(n);
        if (es == null) return ref.output(c);
        float[][] cached = memo.get(n);
        if (cached != null) return cached;
        Map<Port, float[][]> inputs = new HashMap<>();
        for (Port p : c.inputPorts()) {
            float[][] in = null;
            for (Edge e : es) {
                if (e.port() != p) continue;
                if (in == null) in = copy(ref.input(c));
                List<PathStep> ctx = new ArrayList<>(context.size() + 1);
                ctx.add(new PathStep(c, p));
                ctx.addAll(context);
                float[][] v = value(e.sender(), ctx);
                ComponentTrace.add(in, v, 1f);
                ComponentTrace.add(in, ref.output(e.sender()), -1f);
            }
            inputs.put(p, in == null ? ref.input(c) : in);
        }
        float[][] out = switch (c.kind()) {
            case HEAD -> math.head(c.layer(), c.head(), inputs.get(Port.Q), inputs.get(Port.K), inputs.get(Port.V));
            case MLP -> math.mlp(c.layer(), inputs.get(Port.IN));
            case LOGITS -> logitsAt(inputs.get(Port.IN));
            case EMBED -> throw new IllegalStateException("embed has no inputs");
        };
        recomputed++;
        memo.put(n, out);
        return out;
    }

    private float[][] logitsAt(float[][] resid) {
        if (logitRows == null) return math.logits(resid);
        float[][] sub = new float[logitRows.length][];
        for (int i = 0; i < logitRows.length; i++) sub[i] = resid[logitRows[i]];
        float[][] part = math.logits(sub);
        float[][] out = ref.logits.clone();
        for (int i = 0; i < logitRows.length; i++) out[logitRows[i]] = part[i];
        return out;
    }

    private static float[][] copy(float[][] x) {
        float[][] y = new float[x.length][];
        for (int i = 0; i < x.length; i++) y[i] = x[i].clone();
        return y;
    }
}
