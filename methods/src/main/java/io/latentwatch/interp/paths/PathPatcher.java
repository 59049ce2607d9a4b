package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Path patching of a task: traces every clean and reference prompt once through the runtime, then scores
 * hypotheses and sender→receiver sweeps on the treeified model ({@link TreeifiedRun}).
 */
public final class PathPatcher {
    private final ComponentMath math;
    private final PatchingTask task;
    private final List<ComponentTrace> clean, ref;
    private final double[] cleanMetric, refMetric;

    public PathPatcher(HookedTransformer model, PatchingTask task) {
        this(model, model.params().toWeights(), task);
    }

    public PathPatcher(HookedTransformer model, ModelWeights weights, PatchingTask task) {
        this.math = new ComponentMath(weights);
        this.task = task;
        List<int[]> c = new ArrayList<>(), r = new ArrayList<>();
        for (PromptPair p : task.pairs()) {
            c.add(p.clean());
            r.add(p.reference());
        }
        this.clean = ComponentTrace.run(model, c, 16);
        this.ref = ComponentTrace.run(model, r, 16);
        int n = task.pairs().size();
        cleanMetric = new double[n];
        refMetric = new double[n];
        for (int i = 0; i < n; i++) {
            cleanMetric[i] = task.metric().value(clean.get(i).logits, task.pairs().get(i));
            refMetric[i] = task.metric().value(ref.get(i).logits, task.pairs().get(i));
        }
    }

    public ModelConfig config() { return math.config(); }

    public ComponentMath math() { return math; }

    public PatchingTask task() { return task; }

    public List<ComponentTrace> cleanTraces() { return clean; }

    public List<ComponentTrace> referenceTraces() { return ref; }

    /** The treeified run of pair i (for inspection and tests). */
    public TreeifiedRun treeified(int i, Hypothesis h) {
        return new TreeifiedRun(math, clean.get(i), ref.get(i), h);
    }

    public PatchingResult evaluate(Hypothesis h) {
        h.checkIn(math.config());
        int n = task.pairs().size();
        double[] patched = new double[n];
        for (int i = 0; i < n; i++) {
            PromptPair p = task.pairs().get(i);
            float[][] logits = treeified(i, h).onlyLogitRows(p.positions()).logits();
            patched[i] = task.metric().value(logits, p);
        }
        return PatchingResult.of(h, task.metric(), cleanMetric.clone(), refMetric.clone(), patched);
    }

    /**
     * Every sender of {@code receiver} into each of its inputs: the hypothesis {sender -> receiver.port -> logits}
     * (sender computed on the clean input, its output reaching the rest of the model only through that input
     * of the receiver, whose output goes straight to the logits). For receiver = logits, {sender -> logits}:
     * the sender's direct effect.
     */
    public SweepResult sweep(Component receiver) {
        return sweep(receiver, false);
    }

    /**
     * With {@code throughMlps}, the receiver's output reaches the logits directly and through every later MLP
     * ({@link CircuitPath#exits}): {sender -> receiver.port -> (MLPs) -> logits}. In small models a head's output is
     * often read by the MLP after it, which the direct-only sweep misses.
     */
    public SweepResult sweep(Component receiver, boolean throughMlps) {
        return sweep(receiver, throughMlps, Map.of());
    }

    /**
     * A conditional sweep: each path is scored together with a base hypothesis for its port, and the sweep reports
     * the gain over the base alone. Paths that only work jointly (an induction head's key path does nothing unless
     * its value carries the token to copy) show up only this way.
     */
    public SweepResult sweep(Component receiver, boolean throughMlps, Map<Port, Hypothesis> base) {
        receiver.checkIn(math.config());
        List<Component> senders = Component.senders(math.config(), receiver);
        List<Port> ports = receiver.inputPorts();
        PatchingResult[][] res = new PatchingResult[ports.size()][senders.size()];
        double[] baseProp = new double[ports.size()];
        for (int pi = 0; pi < ports.size(); pi++) {
            Hypothesis b = base.get(ports.get(pi));
            baseProp[pi] = b == null ? 0 : evaluate(b).proportionExplained();
            for (int si = 0; si < senders.size(); si++) {
                CircuitPath path = CircuitPath.of(senders.get(si), receiver, ports.get(pi));
                if (!throughMlps || receiver.kind() == Component.Kind.LOGITS) {
                    res[pi][si] = evaluate(new Hypothesis(path.toString(), List.of(path)));
                } else {
                    List<PathStep> prefix = path.steps().subList(0, 2);
                    res[pi][si] = evaluate(new Hypothesis(senders.get(si) + " -> " + receiver + "." + ports.get(pi).label() + " -> (MLPs) -> logits",
                            CircuitPath.compose(prefix, CircuitPath.exits(receiver, math.config(), false))));
                }
                if (b != null) {
                    Hypothesis h = res[pi][si].hypothesis();
                    res[pi][si] = evaluate(b.plus(h.name() + " (+ base)", h.paths()));
                }
            }
        }
        return new SweepResult(receiver, ports, senders, res, baseProp, math.config());
    }
}
