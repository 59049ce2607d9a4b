package io.latentwatch.interp.paths;

import io.latentwatch.interp.circuits.AttentionScores;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in path-patching analyses (induction, IOI), a user hypothesis and a sender sweep, each writing
 * JSON, heat-map PNGs and an HTML section. Heads are chosen from the data (attention scores, direct
 * effects), never hard-coded.
 */
public final class PathAnalyses {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final double ROLE_THRESHOLD = 0.25;

    private PathAnalyses() {}

    /** Rows of a hypotheses table. */
    static List<List<String>> rows(List<PatchingResult> rs) {
        List<List<String>> out = new ArrayList<>();
        for (PatchingResult r : rs)
            out.add(List.of(r.hypothesis().name(), Integer.toString(r.hypothesis().paths().size()), HtmlReport.pct(r.proportionExplained()),
                    "[" + HtmlReport.pct(r.ciLow()) + ", " + HtmlReport.pct(r.ciHigh()) + "]", HtmlReport.num(r.meanPatched()),
                    HtmlReport.num(r.effect())));
        return out;
    }

    /** A warning paragraph when the behaviour is absent (total effect within two standard errors of 0). */
    static void warnIfNoEffect(PatchingResult r, HtmlReport html, ObjectNode o) {
        String msg = String.format("total effect %.4f +- %.4f (SE) over %d pairs", r.totalEffect(), r.totalEffectSe(), r.clean().length);
        o.put("total_effect_summary", msg);
        if (!r.reliableEffect()) {
            html.p("WARNING: " + msg + " is within two standard errors of 0: the model does not show this behaviour on these prompts, "
                    + "so proportions explained are ratios of noise and mean nothing.");
            o.put("warning", "no reliable effect: " + msg);
        } else html.p("Effect: " + msg + ".");
    }

    static final List<String> HEADER = List.of("hypothesis", "paths", "proportion explained", "95% CI (bootstrap over pairs)",
            "mean metric (patched)", "effect (patched - reference)");

    /** Heads with score >= threshold among the candidates, best first; the best one if none passes. */
    static List<Component> pick(double[][] score, int minLayer, int maxLayerExcl, int limit) {
        List<Component> c = new ArrayList<>();
        for (int l = minLayer; l < Math.min(maxLayerExcl, score.length); l++)
            for (int h = 0; h < score[l].length; h++) c.add(Component.head(l, h));
        c.sort(Comparator.comparingDouble((Component x) -> -score[x.layer()][x.head()]));
        List<Component> out = new ArrayList<>();
        for (Component x : c) if (score[x.layer()][x.head()] >= ROLE_THRESHOLD && out.size() < limit) out.add(x);
        if (out.isEmpty() && !c.isEmpty()) out.add(c.get(0));
        return out;
    }

    static void sweepPngs(SweepResult s, String stem, Path out, HtmlReport html, String what) throws IOException {
        ModelConfig c = s.config();
        for (Port p : s.ports()) {
            String f = stem + "-" + p.label() + ".png";
            String title = s.receiver() == Component.LOGITS ? "direct path head -> logits (" + what + ")"
                    : "head -> " + s.receiver() + "." + p.label() + " -> logits (" + what + ")";
            int pi = s.ports().indexOf(p);
            boolean cond = s.baseProportion()[pi] != 0;
            HeatMapPng.write(s.headMatrix(p), HeatMapPng.labels("L", c.nLayers()), HeatMapPng.labels("H", c.nHeads()), title,
                    cond ? "gain over base" : "proportion explained", out.resolve(f));
            html.img(f, title + (cond ? ": gain in proportion explained over the base (" + HtmlReport.pct(s.baseProportion()[pi]) + ") when the path is added"
                    : ": proportion of the effect explained by each single path") + " (grey: head cannot send)");
        }
        List<List<String>> rows = new ArrayList<>();
        for (SweepResult.Entry e : s.ranked().subList(0, Math.min(10, s.ranked().size())))
            rows.add(List.of(e.result().hypothesis().name(), HtmlReport.pct(e.gain()), HtmlReport.pct(e.result().proportionExplained()),
                    "[" + HtmlReport.pct(e.result().ciLow()) + ", " + HtmlReport.pct(e.result().ciHigh()) + "]"));
        html.table(List.of("path (top 10 by |gain|)", "gain over the port's base", "proportion explained (with base)", "95% CI"), rows);
    }

    /** Induction: previous-token heads -> induction heads via K-composition, naive vs refined hypotheses. */
    public static ObjectNode induction(HookedTransformer model, PatchingTask task, int n, Path out, HtmlReport html) throws IOException {
        ModelConfig c = model.config();
        PathPatcher pp = new PathPatcher(model, task);
        boolean bos = task.pairs().get(0).clean().length == 2 * n + 1;
        AttentionScores sc = AttentionScores.fromTraces(pp.math(), pp.cleanTraces(), n, bos);
        List<Component> ih = pick(sc.induction(), 1, c.nLayers(), 3);
        int minIh = ih.stream().mapToInt(Component::layer).min().orElse(1);
        List<Component> pt = pick(sc.previousToken(), 0, Math.max(1, ih.stream().mapToInt(Component::layer).max().orElse(1)), 3);
        pt.removeIf(x -> x.layer() >= minIh && ih.stream().noneMatch(i -> x.layer() < i.layer()));

        List<CircuitPath> mlp0Naive = new ArrayList<>();
        List<CircuitPath> naiveDirect = new ArrayList<>(), naive = new ArrayList<>(), ptFull = new ArrayList<>(), refined = new ArrayList<>(),
                downstream = new ArrayList<>();
        for (Component i : ih) {
            List<List<PathStep>> direct = List.of(List.of(new PathStep(Component.LOGITS, Port.IN)));
            List<List<PathStep>> viaMlps = CircuitPath.exits(i, c, false), viaAll = CircuitPath.exits(i, c, true);
            for (Component p : pt) if (p.layer() < i.layer()) {
                naiveDirect.addAll(CircuitPath.compose("embed -> " + p + ".v -> " + i + ".k", direct));
                naive.addAll(CircuitPath.compose("embed -> " + p + ".v -> " + i + ".k", viaMlps));
                ptFull.addAll(CircuitPath.compose(p + " -> " + i + ".k", viaMlps));
            }
            for (Component p : pt) if (p.layer() > 0 && p.layer() < i.layer()) mlp0Naive.addAll(CircuitPath.compose("mlp0 -> " + p + ".v -> " + i + ".k", viaMlps));
            if (i.layer() > 0) mlp0Naive.addAll(CircuitPath.compose("mlp0 -> " + i + ".v", viaMlps));
            naiveDirect.addAll(CircuitPath.compose("embed -> " + i + ".v", direct));
            naive.addAll(CircuitPath.compose("embed -> " + i + ".v", viaMlps));
            ptFull.addAll(CircuitPath.compose("embed -> " + i + ".v", viaMlps));
            ptFull.addAll(CircuitPath.compose("embed -> " + i + ".q", viaMlps));
            refined.addAll(CircuitPath.compose(i.toString(), viaMlps));
            downstream.addAll(CircuitPath.compose(i.toString(), viaAll));
        }
        List<PatchingResult> rs = new ArrayList<>();
        Hypothesis h0 = new Hypothesis("naive, direct only: embed -> PT.v -> IH.k -> logits, embed -> IH.v -> logits", naiveDirect);
        Hypothesis h1 = new Hypothesis("naive: embed -> PT.v -> IH.k, embed -> IH.v; IH output to logits directly and through later MLPs", naive);
        mlp0Naive.addAll(naive);
        Hypothesis h1b = new Hypothesis("naive with token identity from embed and MLP0: {embed, mlp0} -> PT.v -> IH.k, {embed, mlp0} -> IH.v; IH -> (MLPs) -> logits", mlp0Naive);
        Hypothesis h2 = new Hypothesis("PT fully clean -> IH.k; embed -> IH.q, IH.v; IH -> (MLPs) -> logits", ptFull);
        Hypothesis h3 = new Hypothesis("refined: IH fully clean (every sender into q, k, v) -> (MLPs) -> logits", refined);
        Hypothesis h4 = new Hypothesis("refined + IH -> later heads' q/k/v -> logits", downstream);
        Hypothesis full = Hypothesis.fullGraph(c);
        for (Hypothesis h : List.of(h0, h1, h1b, h2, h3, h4, full)) rs.add(pp.evaluate(h));

        html.h2("Induction (" + model.modelId() + ")");
        html.p(task.description() + "; " + task.pairs().size() + " pairs; metric: " + task.metric().label()
                + ". Proportion explained = 1 - unexplained/total (Goldowsky-Dill et al. 2023); loss clean "
                + HtmlReport.num(rs.get(0).meanClean()) + ", reference " + HtmlReport.num(rs.get(0).meanReference()) + ".");
        html.p("Induction heads (IH, induction score >= " + ROLE_THRESHOLD + " or the best): " + ih + "; previous-token heads (PT): " + pt
                + ". The causal-scrubbing study of a 2-layer attention-only model reported 35% (naive) vs 89% (refined) of the loss explained.");
        html.table(HEADER, rows(rs));
        ObjectNode o = JSON.createObjectNode();
        warnIfNoEffect(rs.get(0), html, o);
        String[] L = HeatMapPng.labels("L", c.nLayers()), H = HeatMapPng.labels("H", c.nHeads());
        HeatMapPng.write(sc.previousToken(), L, H, "previous-token score", "mean attention", out.resolve("induction-prev-token-score.png"));
        HeatMapPng.write(sc.induction(), L, H, "induction score", "mean attention", out.resolve("induction-score.png"));
        html.img("induction-prev-token-score.png", "previous-token attention score per head");
        html.img("induction-score.png", "induction attention score per head");
        Component top = ih.get(0);
        List<List<PathStep>> topExits = CircuitPath.exits(top, c, false);
        List<CircuitPath> intoV = new ArrayList<>(), intoK = new ArrayList<>();
        for (Component snd : Component.senders(c, top)) {
            intoV.addAll(CircuitPath.compose(snd + " -> " + top + ".v", topExits));
            intoK.addAll(CircuitPath.compose(snd + " -> " + top + ".k", topExits));
        }
        Map<Port, Hypothesis> base = new EnumMap<>(Port.class);
        base.put(Port.Q, new Hypothesis("every sender -> " + top + ".v", intoV));
        base.put(Port.K, base.get(Port.Q));
        base.put(Port.V, new Hypothesis("every sender -> " + top + ".k", intoK));
        SweepResult sweep = pp.sweep(top, true, base);
        html.p("Conditional sweep: every sender into " + top + " through q, k and v (sender clean; the receiver's output reaches the logits directly "
                + "and through later MLPs), scored together with a base for the port — for q and k: the head's value input fully clean (every sender -> " + top
                + ".v); for v: its key input fully clean — and shown as the gain over the base. Single key paths do nothing "
                + "without the value (the mechanism is an AND), which an unconditional sweep would hide.");
        sweepPngs(sweep, "induction-sweep-" + ih.get(0), out, html, "induction");

        o.put("task", task.name());
        o.put("description", task.description());
        o.put("pairs", task.pairs().size());
        o.set("induction_heads", arr(ih));
        o.set("previous_token_heads", arr(pt));
        o.set("previous_token_score", mat(sc.previousToken()));
        o.set("induction_score", mat(sc.induction()));
        ArrayNode hs = o.putArray("hypotheses");
        for (PatchingResult r : rs) hs.add(r.toJson(JSON));
        o.set("sweep", sweep.toJson(JSON));
        return o;
    }

    /** IOI: which heads move the name (direct paths to the logits), what share their paths explain. */
    public static ObjectNode ioi(HookedTransformer model, PatchingTask task, Path out, HtmlReport html) throws IOException {
        ModelConfig c = model.config();
        PathPatcher pp = new PathPatcher(model, task);
        SweepResult direct = pp.sweep(Component.LOGITS);
        // a head's effect on the logits directly and through the MLPs after it (a mover in a small model may
        // write the name into a later MLP rather than straight into the unembedding)
        double[][] d = new double[c.nLayers()][c.nHeads()];
        ArrayNode viaMlp = JSON.createArrayNode();
        for (int l = 0; l < c.nLayers(); l++)
            for (int h = 0; h < c.nHeads(); h++) {
                Component x = Component.head(l, h);
                PatchingResult r = pp.evaluate(new Hypothesis(x + " -> (MLPs) -> logits", CircuitPath.compose(x.toString(), CircuitPath.exits(x, c, false))));
                d[l][h] = r.proportionExplained();
                ObjectNode e = viaMlp.addObject();
                e.put("head", x.toString());
                e.put("proportion_explained", r.proportionExplained());
                e.put("ci95_low", r.ciLow());
                e.put("ci95_high", r.ciHigh());
            }
        List<Component> movers = pick(d, 0, c.nLayers(), 4);
        int last = task.pairs().get(0).clean().length - 1;
        // where the movers' last position attends on the clean prompts: the IO name vs the subject's first occurrence
        List<List<String>> attRows = new ArrayList<>();
        ArrayNode att = JSON.createArrayNode();
        int[] nameSlots = nameSlots(task.pairs().get(0));
        for (Component m : movers) {
            double toIo = 0, toS = 0, toS2 = 0;
            for (int i = 0; i < task.pairs().size(); i++) {
                float[][] x = pp.cleanTraces().get(i).residPre[m.layer()];
                float[][] p = pp.math().pattern(pp.math().query(m.layer(), m.head(), x), pp.math().key(m.layer(), m.head(), x));
                int[] s = nameSlots(task.pairs().get(i));
                toIo += p[last][s[0]] / task.pairs().size();
                toS += p[last][s[1]] / task.pairs().size();
                toS2 += p[last][s[2]] / task.pairs().size();
            }
            attRows.add(List.of(m.toString(), HtmlReport.pct(d[m.layer()][m.head()]), HtmlReport.num(toIo), HtmlReport.num(toS), HtmlReport.num(toS2)));
            ObjectNode a = att.addObject();
            a.put("head", m.toString());
            a.put("direct_proportion", d[m.layer()][m.head()]);
            a.put("attention_to_io", toIo);
            a.put("attention_to_s1", toS);
            a.put("attention_to_s2", toS2);
        }
        SweepResult into = pp.sweep(movers.get(0), true);
        List<CircuitPath> moverPaths = new ArrayList<>(), allHeads = new ArrayList<>(), heads = new ArrayList<>();
        for (Component m : movers) moverPaths.addAll(CircuitPath.compose(m.toString(), CircuitPath.exits(m, c, false)));
        for (int l = 0; l < c.nLayers(); l++)
            for (int h = 0; h < c.nHeads(); h++)
                allHeads.addAll(CircuitPath.compose("L" + l + "H" + h, CircuitPath.exits(Component.head(l, h), c, false)));
        for (Component s : Component.senders(c, Component.LOGITS)) if (s.kind() != Component.Kind.EMBED) heads.add(CircuitPath.of(s, Component.LOGITS, Port.IN));
        List<PatchingResult> rs = new ArrayList<>();
        for (Hypothesis h : List.of(new Hypothesis("name movers -> (MLPs) -> logits", moverPaths),
                new Hypothesis("every head -> (MLPs) -> logits", allHeads),
                new Hypothesis("every head and MLP -> logits (no direct embed path)", heads),
                Hypothesis.fullGraph(c)))
            rs.add(pp.evaluate(h));

        html.h2("Indirect object identification (" + model.modelId() + ")");
        html.p(task.description() + "; " + task.pairs().size() + " pairs (IO/S name slots at positions " + nameSlots[0] + ", " + nameSlots[1]
                + "); logit difference clean " + HtmlReport.num(rs.get(0).meanClean()) + ", reference " + HtmlReport.num(rs.get(0).meanReference()) + ".");
        html.p("Name movers = heads whose paths to the logits (directly and through later MLPs) explain >= " + ROLE_THRESHOLD
                + " of the effect (or the best): " + movers);
        html.table(List.of("head", "head -> (MLPs) -> logits: proportion explained", "attention last -> IO", "attention last -> S1", "attention last -> S2"), attRows);
        HeatMapPng.write(d, HeatMapPng.labels("L", c.nLayers()), HeatMapPng.labels("H", c.nHeads()), "head -> (MLPs) -> logits (IOI)",
                "proportion explained", out.resolve("ioi-via-mlps.png"));
        html.img("ioi-via-mlps.png", "IOI: proportion explained by each head's paths to the logits, directly and through later MLPs");
        html.table(HEADER, rows(rs));
        ObjectNode o = JSON.createObjectNode();
        warnIfNoEffect(rs.get(0), html, o);
        sweepPngs(direct, "ioi-direct", out, html, "IOI");
        html.p("Sweep: every sender into " + movers.get(0) + " through q, k and v.");
        sweepPngs(into, "ioi-sweep-" + movers.get(0), out, html, "IOI");

        o.put("task", task.name());
        o.put("description", task.description());
        o.put("pairs", task.pairs().size());
        o.set("name_movers", att);
        o.set("head_via_mlps", viaMlp);
        ArrayNode hs = o.putArray("hypotheses");
        for (PatchingResult r : rs) hs.add(r.toJson(JSON));
        o.set("direct_sweep", direct.toJson(JSON));
        o.set("sweep_into_top_mover", into.toJson(JSON));
        return o;
    }

    /** Positions of the IO name, the subject's first and second occurrence: where clean and reference differ. */
    static int[] nameSlots(PromptPair p) {
        List<Integer> d = new ArrayList<>();
        for (int i = 0; i < p.clean().length; i++) if (p.clean()[i] != p.reference()[i]) d.add(i);
        return new int[] {d.get(0), d.get(Math.min(1, d.size() - 1)), d.get(Math.min(2, d.size() - 1))};
    }

    /** A user hypothesis on a task, next to the empty and full hypotheses (0% and 100% by construction). */
    public static ObjectNode hypothesis(HookedTransformer model, PatchingTask task, Hypothesis h, HtmlReport html) {
        PathPatcher pp = new PathPatcher(model, task);
        List<PatchingResult> rs = List.of(pp.evaluate(h), pp.evaluate(Hypothesis.empty()), pp.evaluate(Hypothesis.fullGraph(model.config())));
        html.h2("Hypothesis '" + h.name() + "' on " + task.name());
        html.p(task.description() + "; " + task.pairs().size() + " pairs; metric " + task.metric().label());
        html.pre(String.join("\n", h.paths().stream().map(CircuitPath::toString).toList()));
        html.table(HEADER, rows(rs));
        ObjectNode o = JSON.createObjectNode();
        warnIfNoEffect(rs.get(0), html, o);
        o.put("task", task.name());
        ArrayNode hs = o.putArray("hypotheses");
        for (PatchingResult r : rs) hs.add(r.toJson(JSON));
        return o;
    }

    public static ObjectNode sweep(HookedTransformer model, PatchingTask task, Component receiver, boolean throughMlps, Path out,
                                   HtmlReport html) throws IOException {
        PathPatcher pp = new PathPatcher(model, task);
        SweepResult s = pp.sweep(receiver, throughMlps);
        html.h2("Sweep into " + receiver + " on " + task.name());
        html.p(task.description() + "; " + task.pairs().size() + " pairs; metric " + task.metric().label() + "; receiver output to the logits "
                + (throughMlps ? "directly and through later MLPs" : "directly only"));
        sweepPngs(s, "sweep-" + task.name() + "-" + receiver, out, html, task.name());
        return s.toJson(JSON);
    }

    static ArrayNode arr(List<Component> cs) {
        ArrayNode a = JSON.createArrayNode();
        for (Component x : cs) a.add(x.toString());
        return a;
    }

    static ArrayNode mat(double[][] m) {
        ArrayNode a = JSON.createArrayNode();
        for (double[] row : m) {
            ArrayNode r = a.addArray();
            for (double v : row) r.add(v);
        }
        return a;
    }

    public static void writeJson(ObjectNode o, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        JSON.writeValue(file.toFile(), o);
    }
}
