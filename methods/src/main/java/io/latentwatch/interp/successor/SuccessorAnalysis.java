package io.latentwatch.interp.successor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.ModelConfig;
import io.latentwatch.interp.model.ModelWeights;
import io.latentwatch.interp.paths.ComponentMath;
import io.latentwatch.interp.paths.HeatMapPng;
import io.latentwatch.interp.paths.HtmlReport;
import io.latentwatch.interp.paths.PathAnalyses;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The whole successor-heads analysis of one model: scores, ranking, mod-10 features, edits, greater-than bias. */
public final class SuccessorAnalysis {
    private SuccessorAnalysis() {}

    public static ObjectNode run(ModelWeights weights, List<OrdinalTask> tasks, String modelId, Path out, HtmlReport html) throws IOException {
        return run(weights, tasks, modelId, null, out, html);
    }

    /** With {@code contextual} (may be null) the in-context variant of the score is reported beside the paper's. */
    public static ObjectNode run(ModelWeights weights, List<OrdinalTask> tasks, String modelId, ContextualInputs contextual, Path out,
                                 HtmlReport html) throws IOException {
        ModelConfig c = weights.config();
        OvCircuit ov = new OvCircuit(new ComponentMath(weights));
        SuccessionScores s = SuccessionScores.compute(ov, tasks);
        SuccessionScores base = SuccessionScores.compute(new OvCircuit(new ComponentMath(ShuffledBaseline.randomLike(weights, 99))), tasks);
        int[] best = s.best(), bestBase = base.best();
        ObjectNode o = PathAnalyses.JSON.createObjectNode();
        o.put("model", modelId);
        ArrayNode ts = o.putArray("tasks");
        List<List<String>> taskRows = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            OrdinalTask t = tasks.get(i);
            ObjectNode x = ts.addObject();
            x.put("name", t.name());
            x.put("successor_pairs", t.successorPairs().size());
            x.put("best_head_score", s.perTask()[i][best[0]][best[1]]);
            x.put("chance", 1.0 / t.presentIds().length);
            taskRows.add(List.of(t.name(), Integer.toString(t.presentIds().length), Integer.toString(t.successorPairs().size()),
                    HtmlReport.pct(s.perTask()[i][best[0]][best[1]]), HtmlReport.pct(1.0 / t.presentIds().length)));
        }
        List<int[]> ranking = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) for (int h = 0; h < c.nHeads(); h++) ranking.add(new int[] {l, h});
        ranking.sort(Comparator.comparingDouble((int[] x) -> -s.pooled()[x[0]][x[1]]));
        ArrayNode rk = o.putArray("ranking");
        List<List<String>> rankRows = new ArrayList<>();
        for (int[] x : ranking) {
            ObjectNode e = rk.addObject();
            e.put("head", "L" + x[0] + "H" + x[1]);
            e.put("succession_score", s.pooled()[x[0]][x[1]]);
            if (rankRows.size() < 8) rankRows.add(List.of("L" + x[0] + "H" + x[1], HtmlReport.pct(s.pooled()[x[0]][x[1]])));
        }
        o.put("best_head", "L" + best[0] + "H" + best[1]);
        o.put("best_score", s.pooled()[best[0]][best[1]]);
        o.put("random_init_best_score", base.pooled()[bestBase[0]][bestBase[1]]);

        html.h2("Successor heads (" + modelId + ")");
        html.p("Succession score (Gould et al. 2023): share of ordinal tokens whose effective OV circuit (embedding -> MLP0 -> W_V W_O -> final norm -> unembedding) "
                + "ranks the successor first among the task's tokens. Best head " + o.get("best_head").asText() + ": "
                + HtmlReport.pct(o.get("best_score").asDouble()) + "; best head of a random-init model of the same shape and per-tensor scale: "
                + HtmlReport.pct(o.get("random_init_best_score").asDouble()) + ".");
        html.table(List.of("task", "single-token items", "successor pairs", "best head's score", "chance (1/items)"), taskRows);
        if (contextual != null) {
            SuccessionScores cs = SuccessionScores.compute(ov, tasks, contextual::inputs);
            int[] cb = cs.best();
            o.put("contextual_best_head", "L" + cb[0] + "H" + cb[1]);
            o.put("contextual_best_score", cs.pooled()[cb[0]][cb[1]]);
            o.set("contextual_scores", matrix(cs.pooled()));
            html.p("Variant (not the paper's): the same OV score on what the head really reads at the token in the prompt [BOS, t] "
                    + "(blocks.l.hook_resid_pre; every earlier layer applied). Best head L" + cb[0] + "H" + cb[1] + ": "
                    + HtmlReport.pct(cs.pooled()[cb[0]][cb[1]]) + ".");
            HeatMapPng.write(cs.pooled(), HeatMapPng.labels("L", c.nLayers()), HeatMapPng.labels("H", c.nHeads()),
                    "succession score, in-context inputs", "share of successors ranked first", out.resolve("succession-scores-contextual.png"));
            html.img("succession-scores-contextual.png", "succession score per head on in-context inputs");
        }
        html.table(List.of("head (top 8)", "succession score"), rankRows);
        HeatMapPng.write(s.pooled(), HeatMapPng.labels("L", c.nLayers()), HeatMapPng.labels("H", c.nHeads()),
                "succession score (pooled over tasks)", "share of successors ranked first", out.resolve("succession-scores.png"));
        html.img("succession-scores.png", "succession score per head");
        double[][] perTaskBest = new double[tasks.size()][];
        String[] names = new String[tasks.size()];
        for (int i = 0; i < tasks.size(); i++) {
            names[i] = tasks.get(i).name();
            perTaskBest[i] = new double[c.nLayers() * c.nHeads()];
            for (int l = 0; l < c.nLayers(); l++) for (int h = 0; h < c.nHeads(); h++) perTaskBest[i][l * c.nHeads() + h] = s.perTask()[i][l][h];
        }
        String[] headNames = new String[c.nLayers() * c.nHeads()];
        for (int l = 0; l < c.nLayers(); l++) for (int h = 0; h < c.nHeads(); h++) headNames[l * c.nHeads() + h] = "L" + l + "H" + h;
        HeatMapPng.write(perTaskBest, names, headNames, "succession score per task and head", "share", out.resolve("succession-by-task.png"));
        html.img("succession-by-task.png", "succession score per task (rows) and head (columns)");

        OrdinalTask numbers = tasks.stream().filter(t -> t.name().equals("numbers")).findFirst().orElse(null);
        if (numbers != null) {
            List<Integer> idl = new ArrayList<>(), vl = new ArrayList<>();
            for (int i = 0; i < numbers.items().size(); i++)
                if (numbers.ids()[i] >= 0) { idl.add(numbers.ids()[i]); vl.add(Integer.parseInt(numbers.items().get(i))); }
            int[] ids = idl.stream().mapToInt(Integer::intValue).toArray(), vals = vl.stream().mapToInt(Integer::intValue).toArray();
            GreaterThanBias.Result gt = GreaterThanBias.analyse(ov, best[0], best[1], ids, vals);
            ObjectNode g = o.putObject("greater_than_bias");
            g.put("ov_effective_embedding", gt.ovEffective());
            g.put("ov_embedding_only", gt.ovEmbeddingOnly());
            g.put("ov_mlp0_only", gt.ovMlp0Only());
            g.put("direct_unembedding_effective", gt.directEffective());
            g.put("direct_unembedding_mlp0", gt.directMlp0());
            html.p("Greater-than bias of " + o.get("best_head").asText() + " over " + ids.length
                    + " number tokens: mean logit(u > t) - mean logit(u < t), averaged over t.");
            html.table(List.of("where", "bias (logits)"), List.of(
                    List.of("OV on what the head reads (embed + MLP0; embed for block 0)", HtmlReport.num(gt.ovEffective())),
                    List.of("OV on raw embedding (no MLP0)", HtmlReport.num(gt.ovEmbeddingOnly())),
                    List.of("OV on MLP0 output alone", HtmlReport.num(gt.ovMlp0Only())),
                    List.of("no head: effective embedding unembedded", HtmlReport.num(gt.directEffective())),
                    List.of("no head: MLP0 output unembedded", HtmlReport.num(gt.directMlp0()))));
            // mod-10 features live in MLP0's output (the paper): study them with the best head that reads it (block >= 1)
            int[] mh = best;
            if (c.nLayers() > 1) {
                mh = new int[] {1, 0};
                for (int l = 1; l < c.nLayers(); l++)
                    for (int h = 0; h < c.nHeads(); h++) if (s.pooled()[l][h] > s.pooled()[mh[0]][mh[1]]) mh = new int[] {l, h};
            }
            if (ids.length >= 20) {
                Mod10Features.Result m = Mod10Features.analyse(ov, mh[0], mh[1], ids, vals);
                ObjectNode mm = o.putObject("mod10");
                mm.put("head", "L" + mh[0] + "H" + mh[1]);
                mm.put("head_succession_score", s.pooled()[mh[0]][mh[1]]);
                mm.put("numbers", m.numbers());
                mm.put("probe_held_out_decade_accuracy", m.probeHeldOutAccuracy());
                mm.put("probe_held_out_raw_embedding", m.probeEmbeddingOnly());
                mm.put("probe_held_out_mlp0_output", m.probeMlp0Only());
                mm.put("units_accuracy_full", m.unitsAccuracyFull());
                mm.put("units_accuracy_mod10_subspace_only", m.unitsAccuracyMod10Only());
                mm.put("units_accuracy_mod10_subspace_removed", m.unitsAccuracyMod10Removed());
                mm.put("edit_success_20_29", m.editSuccess2029());
                mm.put("edits_20_29", m.edits2029());
                mm.put("edit_success_all", m.editSuccessAll());
                mm.put("edits_all", m.editsAll());
                html.p("Mod-10 features of the effective embedding (embed + MLP0 output) over " + m.numbers() + " number tokens, read by head L"
                        + mh[0] + "H" + mh[1] + " (the best successor head after block 0; succession score " + HtmlReport.pct(s.pooled()[mh[0]][mh[1]]) + ").");
                html.table(List.of("measure", "value"), List.of(
                        List.of("linear probe, t mod 10, leave-one-decade-out accuracy (chance 10%), on what the head reads", HtmlReport.pct(m.probeHeldOutAccuracy())),
                        List.of("... on the raw embedding", HtmlReport.pct(m.probeEmbeddingOnly())),
                        List.of("... on MLP0's output alone", HtmlReport.pct(m.probeMlp0Only())),
                        List.of("OV units digit of successor correct: full representation", HtmlReport.pct(m.unitsAccuracyFull())),
                        List.of("... mean + mod-10 subspace only", HtmlReport.pct(m.unitsAccuracyMod10Only())),
                        List.of("... mod-10 subspace projected out", HtmlReport.pct(m.unitsAccuracyMod10Removed())),
                        List.of("vector arithmetic r - f_(t mod 10) + f_k on 20-29 (paper: 89%)", HtmlReport.pct(m.editSuccess2029()) + " of " + m.edits2029()),
                        List.of("vector arithmetic on all numbers", HtmlReport.pct(m.editSuccessAll()) + " of " + m.editsAll())));
                double[][] cm = m.classMeans();
                double[][] cos = new double[10][10];
                for (int a = 0; a < 10; a++) for (int b = 0; b < 10; b++) cos[a][b] = Mod10Features.dot(cm[a], cm[b])
                        / Math.sqrt(Mod10Features.dot(cm[a], cm[a]) * Mod10Features.dot(cm[b], cm[b]) + 1e-30);
                HeatMapPng.write(cos, HeatMapPng.labels("", 10), HeatMapPng.labels("", 10), "cosine between mod-10 class-mean features",
                        "cosine", out.resolve("mod10-feature-cosines.png"));
                html.img("mod10-feature-cosines.png", "cosine similarity of the mod-10 feature directions f_k");
                mod10Sae(o, html, ov, mh, ids, vals);
            } else {
                html.p("Only " + ids.length + " single-token numbers: too few for the mod-10 analysis (needs two-digit numbers as single tokens).");
                o.put("mod10", "not available: " + ids.length + " single-token numbers");
            }
        } else {
            html.p("No single-token numbers: no greater-than or mod-10 analysis.");
        }
        o.set("scores", matrix(s.pooled()));
        return o;
    }

    /** The "mod10_sae" section: a TopK SAE on MLP0's output for number tokens ({@link Mod10SaeFeatures}). */
    static void mod10Sae(ObjectNode o, HtmlReport html, OvCircuit ov, int[] mh, int[] ids, int[] vals) {
        Mod10SaeFeatures.Result r = Mod10SaeFeatures.analyse(ov, mh[0], mh[1], ids, vals, 1);
        Mod10SaeFeatures.Fit f = r.fit();
        ObjectNode x = o.putObject("mod10_sae");
        x.put("head", "L" + mh[0] + "H" + mh[1]);
        x.put("site", "blocks.0.hook_mlp_out (MLP0 output of each single-token number)");
        x.put("data", "MLP0 outputs of the " + r.numbers() + " single-token numbers, drawn uniformly, plus Gaussian jitter of "
                + Mod10SaeFeatures.JITTER + " x their RMS spread; latents scored on the clean rows");
        x.put("architecture", "topk");
        x.put("d_sae", Mod10SaeFeatures.D_SAE);
        x.put("k", Mod10SaeFeatures.K);
        x.put("steps", Mod10SaeFeatures.STEPS);
        x.put("batch", Mod10SaeFeatures.BATCH);
        x.put("seed", 1);
        x.put("numbers", r.numbers());
        x.put("fvu", f.fvu());
        x.put("l0", f.l0());
        x.put("dead_latents", f.deadLatents());
        x.put("criterion", "best F1 of 'fires' vs 't mod 10 == k' >= " + Mod10SaeFeatures.MIN_F1 + " and true positives in >= "
                + Mod10SaeFeatures.MIN_DECADES + " decades");
        x.put("mod10_latents", f.mod10().size());
        x.put("units_classes_found", f.classesFound());
        ArrayNode ls = x.putArray("latents");
        List<Mod10SaeFeatures.Latent> sorted = new ArrayList<>(f.latents());
        sorted.sort(Comparator.comparingDouble((Mod10SaeFeatures.Latent l) -> -l.f1()));
        for (Mod10SaeFeatures.Latent l : sorted) {
            ObjectNode e = ls.addObject();
            e.put("latent", l.index());
            e.put("units_class", l.unitsClass());
            e.put("f1", l.f1());
            e.put("precision", l.precision());
            e.put("recall", l.recall());
            e.put("decades", l.decades());
            e.put("fires_on", l.fires());
            e.put("mod10", l.mod10());
        }
        x.put("units_accuracy_model", r.unitsAccuracyModel());
        x.put("units_accuracy_all_latents", r.unitsAccuracyAllLatents());
        x.put("units_accuracy_mod10_latents_only", r.unitsAccuracyMod10Only());
        x.put("units_accuracy_mod10_latents_removed", r.unitsAccuracyMod10Removed());
        html.p("SAE on MLP0's output (TopK, d_sae " + Mod10SaeFeatures.D_SAE + ", k " + Mod10SaeFeatures.K + ", " + Mod10SaeFeatures.STEPS
                + " steps, seed 1) over " + r.numbers() + " number tokens (augmented with Gaussian jitter); FVU " + HtmlReport.num(f.fvu())
                + ", " + f.deadLatents() + " latents never fire on a number. A latent is a mod-10 feature when its best F1 against one units class is >= "
                + Mod10SaeFeatures.MIN_F1 + " and it fires across >= " + Mod10SaeFeatures.MIN_DECADES + " decades: " + f.mod10().size()
                + " latents, covering " + f.classesFound() + " of 10 classes.");
        List<List<String>> rows = new ArrayList<>();
        for (Mod10SaeFeatures.Latent l : sorted.subList(0, Math.min(10, sorted.size())))
            rows.add(List.of(Integer.toString(l.index()), l.unitsClass() < 0 ? "-" : Integer.toString(l.unitsClass()), HtmlReport.num(l.f1()),
                    HtmlReport.pct(l.precision()), HtmlReport.pct(l.recall()), Integer.toString(l.decades()), l.mod10() ? "yes" : "no"));
        html.table(List.of("latent (top 10 by F1)", "units class", "F1", "precision", "recall", "decades", "mod-10"), rows);
        html.table(List.of("head " + x.get("head").asText() + " OV: units digit of successor correct on", "accuracy"), List.of(
                List.of("e + MLP0(e) (model)", HtmlReport.pct(r.unitsAccuracyModel())),
                List.of("e + SAE reconstruction, all latents", HtmlReport.pct(r.unitsAccuracyAllLatents())),
                List.of("e + b_dec + mod-10 latents only", HtmlReport.pct(r.unitsAccuracyMod10Only())),
                List.of("e + MLP0(e) with the mod-10 latents' contributions removed", HtmlReport.pct(r.unitsAccuracyMod10Removed()))));
    }

    static ArrayNode matrix(double[][] m) {
        ArrayNode a = PathAnalyses.JSON.createArrayNode();
        for (double[] r : m) {
            ArrayNode x = a.addArray();
            for (double v : r) x.add(v);
        }
        return a;
    }
}
