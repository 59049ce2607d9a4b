package io.latentwatch.interp.circuits;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * circuit.json (ranked nodes and edges with scores, the signature, the evaluation, runtime) and an
 * HTML report with a layer x head heat map of node scores and the node/edge ROC curves (JFreeChart, headless).
 */
public final class CircuitReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CircuitReport() {}

    public static ObjectNode toJson(CircuitDiscovery.Result r, CircuitEvaluation ev, String model) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", r.name());
        o.put("model", model);
        o.put("method", "SAE circuit identification (O'Neill & Bui 2024, arXiv 2405.12522): one " + r.options().architecture()
                + " SAE with " + r.options().latents() + " latents over every head's output z_h W_O[h] (from blocks.L.attn.hook_z), "
                + "codes = argmax latent, node score = " + (r.options().scoring() == CircuitDiscovery.NodeScoring.SHARE
                ? "share of positive (example, position) outputs whose code never occurs on negatives"
                : "number of distinct codes seen only on positives"));
        o.put("node_scoring", r.options().scoring().name().toLowerCase(Locale.ROOT));
        o.put("positives", r.positives());
        o.put("negatives", r.negatives());
        o.put("positions", r.positions());
        o.put("layers", r.layers());
        o.put("heads_per_layer", r.heads());
        o.put("seed", r.options().seed());
        ObjectNode sae = o.putObject("sae");
        sae.put("latents", r.options().latents());
        sae.put("architecture", r.options().architecture());
        sae.put("steps", r.options().steps());
        sae.put("fvu", r.saeFit().fvu());
        sae.put("l0", r.saeFit().l0());
        sae.put("dead_fraction", r.saeFit().deadFraction());
        ObjectNode rt = o.putObject("runtime_seconds");
        rt.put("capture", r.secondsCapture());
        rt.put("sae_training", r.secondsSae());
        rt.put("total", r.secondsTotal());
        ArrayNode nodes = o.putArray("nodes");
        for (CodeScoring.NodeScore n : r.nodes()) {
            ObjectNode x = nodes.addObject();
            x.put("layer", n.head().layer());
            x.put("head", n.head().head());
            x.put("score", r.nodeScore(n));
            x.put("share", n.share());
            x.put("positive_only_codes", n.positiveOnlyCodes());
            x.put("output_norm", r.outputNorm()[n.head().index(r.heads())]);
            ArrayNode c = x.putArray("codes");
            n.codes().forEach(c::add);
            if (ev != null) x.put("in_ground_truth", ev.truth().contains(n.head()));
        }
        ArrayNode edges = o.putArray("edges");
        for (CodeScoring.EdgeScore e : r.edges()) {
            ObjectNode x = edges.addObject();
            x.put("from", e.from().toString());
            x.put("to", e.to().toString());
            x.put("score", r.options().scoring() == CircuitDiscovery.NodeScoring.SHARE ? e.share() : e.positiveOnlyPairs());
            x.put("share", e.share());
            x.put("positive_only_pairs", e.positiveOnlyPairs());
        }
        ObjectNode sig = o.putObject("signature");
        sig.put("name", r.signature().name());
        sig.put("minMatchedHeads", r.signature().minMatchedHeads());
        ArrayNode sh = sig.putArray("heads");
        for (HeadCodeSignature.HeadCodes h : r.signature().heads()) {
            ObjectNode x = sh.addObject();
            x.put("layer", h.head().layer());
            x.put("head", h.head().head());
            ArrayNode c = x.putArray("codes");
            for (int v : h.codes()) c.add(v);
            x.put("score", h.score());
        }
        sig.put("sae_dir", HeadCoder.SAE_DIR);
        sig.put("projection", HeadCoder.PROJECTION);
        if (ev != null) {
            ObjectNode e = o.putObject("evaluation");
            e.put("task", ev.truth().task());
            e.put("ground_truth_source", ev.truth().source());
            ArrayNode gt = e.putArray("ground_truth_heads");
            ev.truth().heads().stream().sorted().forEach(h -> gt.add(h.toString()));
            num(e, "node_roc_auc", ev.nodeAuc());
            num(e, "node_roc_auc_share", ev.nodeAucShare());
            num(e, "node_roc_auc_count", ev.nodeAucCount());
            num(e, "edge_roc_auc", ev.edgeAuc());
            best(e.putObject("node_best_f1"), ev.nodeBest());
            best(e.putObject("edge_best_f1"), ev.edgeBest());
            ObjectNode b = e.putObject("baselines");
            num(b, "random_ranking_mean_auc", ev.randomAuc());
            num(b, "output_norm_auc", ev.normAuc());
            num(b, "output_norm_difference_auc", ev.normDiffAuc());
            ObjectNode p = e.putObject("paper_gpt2_small_node_auc_10_examples");
            p.put("ioi", 0.87);
            p.put("greater_than", 0.86);
            p.put("docstring", 0.87);
        }
        return o;
    }

    private static void num(ObjectNode o, String k, double v) {
        if (Double.isNaN(v)) o.putNull(k); else o.put(k, v);
    }

    private static void best(ObjectNode o, RocAuc.Threshold t) {
        num(o, "threshold", t.threshold());
        o.put("precision", t.precision());
        o.put("recall", t.recall());
        o.put("f1", t.f1());
    }

    /** Writes node-scores.png, roc.png (with ground truth) and report.html into dir; returns the HTML path. */
    public static Path writeHtml(CircuitDiscovery.Result r, CircuitEvaluation ev, String model, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        heatMap(r, dir.resolve("node-scores.png"));
        if (ev != null) roc(ev, dir.resolve("roc.png"));
        StringBuilder s = new StringBuilder();
        s.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Circuit report</title>")
         .append("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:left}img{width:45%;margin:1%}</style>")
         .append("</head><body><h1>SAE circuit identification: ").append(esc(r.name())).append("</h1>");
        s.append("<p>").append(esc(model)).append(" · O'Neill &amp; Bui 2024 (arXiv 2405.12522) · ").append(r.positives()).append(" positive, ")
         .append(r.negatives()).append(" negative prompts of ").append(r.positions()).append(" tokens · one ").append(r.options().architecture())
         .append(" SAE, ").append(r.options().latents()).append(" latents, over z<sub>h</sub>W<sub>O</sub>[h] of every head · node score: ")
         .append(r.options().scoring().name().toLowerCase(Locale.ROOT)).append("</p><table>");
        row(s, "runtime", String.format(Locale.ROOT, "%.2f s (capture %.2f s, SAE %.2f s)", r.secondsTotal(), r.secondsCapture(), r.secondsSae()));
        row(s, "SAE fit", String.format(Locale.ROOT, "FVU %.3f, L0 %.2f, dead %.0f%%", r.saeFit().fvu(), r.saeFit().l0(), 100 * r.saeFit().deadFraction()));
        StringBuilder sig = new StringBuilder();
        for (HeadCodeSignature.HeadCodes h : r.signature().heads()) sig.append(h.head()).append(" (").append(h.codes().length).append(" codes) ");
        row(s, "signature", sig + "· match when ≥ " + r.signature().minMatchedHeads() + " heads show a code");
        if (ev != null) {
            row(s, "ground truth (" + esc(ev.truth().task()) + ")", esc(ev.truth().heads().stream().sorted().map(HeadId::toString).toList().toString()));
            row(s, "node ROC-AUC", String.format(Locale.ROOT, "%.3f (share %.3f, count %.3f) — paper, GPT-2 small, 10 examples: 0.87 IOI, 0.86 greater-than, 0.87 docstring",
                    ev.nodeAuc(), ev.nodeAucShare(), ev.nodeAucCount()));
            row(s, "node best F1", fmt(ev.nodeBest()));
            row(s, "edge ROC-AUC", Double.isNaN(ev.edgeAuc()) ? "n/a (fewer than two circuit heads)" : String.format(Locale.ROOT, "%.3f", ev.edgeAuc()));
            row(s, "edge best F1", fmt(ev.edgeBest()));
            row(s, "baselines (node AUC)", String.format(Locale.ROOT, "random %.3f, output norm %.3f, |norm pos - norm neg| %.3f",
                    ev.randomAuc(), ev.normAuc(), ev.normDiffAuc()));
        }
        s.append("</table><img src=\"node-scores.png\">");
        if (ev != null) s.append("<img src=\"roc.png\">");
        s.append("<h2>Nodes</h2><table><tr><th>head</th><th>score</th><th>share</th><th>positive-only codes</th><th>output norm</th>")
         .append(ev != null ? "<th>ground truth</th>" : "").append("</tr>");
        for (CodeScoring.NodeScore n : r.nodes()) {
            s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4g</td><td>%.3f</td><td>%d</td><td>%.3f</td>", n.head(), r.nodeScore(n), n.share(),
                    n.positiveOnlyCodes(), r.outputNorm()[n.head().index(r.heads())]));
            if (ev != null) s.append("<td>").append(ev.truth().contains(n.head()) ? "yes" : "").append("</td>");
            s.append("</tr>");
        }
        s.append("</table><h2>Top edges</h2><table><tr><th>pair</th><th>share</th><th>positive-only pairs</th></tr>");
        r.edges().stream().limit(15).forEach(e -> s.append(String.format(Locale.ROOT, "<tr><td>%s–%s</td><td>%.3f</td><td>%d</td></tr>",
                e.from(), e.to(), e.share(), e.positiveOnlyPairs())));
        s.append("</table></body></html>\n");
        Path html = dir.resolve("report.html");
        Files.writeString(html, s.toString());
        return html;
    }

    private static String fmt(RocAuc.Threshold t) {
        return Double.isNaN(t.threshold()) ? "n/a" : String.format(Locale.ROOT, "P %.2f R %.2f F1 %.2f at score >= %.4g", t.precision(), t.recall(), t.f1(), t.threshold());
    }

    private static void heatMap(CircuitDiscovery.Result r, Path png) throws IOException {
        DefaultXYZDataset ds = new DefaultXYZDataset();
        int n = r.layers() * r.heads();
        double[][] xyz = new double[3][n];
        double max = 1e-12;
        for (CodeScoring.NodeScore s : r.nodes()) {
            int i = s.head().index(r.heads());
            xyz[0][i] = s.head().head();
            xyz[1][i] = s.head().layer();
            xyz[2][i] = r.nodeScore(s);
            max = Math.max(max, xyz[2][i]);
        }
        ds.addSeries("node score", xyz);
        XYBlockRenderer rend = new XYBlockRenderer();
        LookupPaintScale scale = new LookupPaintScale(0, max * 1.0001, Color.WHITE);
        for (int k = 0; k <= 20; k++) {
            float f = k / 20f;
            scale.add(max * f, new Color(1f, 1f - 0.85f * f, 1f - f));
        }
        rend.setPaintScale(scale);
        NumberAxis x = new NumberAxis("head");
        NumberAxis y = new NumberAxis("layer");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setRange(-0.5, r.heads() - 0.5);
        y.setRange(-0.5, r.layers() - 0.5);
        XYPlot plot = new XYPlot(ds, x, y, rend);
        JFreeChart chart = new JFreeChart("Node scores (" + r.options().scoring().name().toLowerCase(Locale.ROOT) + ")", plot);
        chart.removeLegend();
        NumberAxis sa = new NumberAxis("score");
        PaintScaleLegend leg = new PaintScaleLegend(scale, sa);
        leg.setPosition(RectangleEdge.RIGHT);
        chart.addSubtitle(leg);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 640, 420);
    }

    private static void roc(CircuitEvaluation ev, Path png) throws IOException {
        XYSeriesCollection c = new XYSeriesCollection();
        c.addSeries(series(String.format(Locale.ROOT, "nodes (AUC %.3f)", ev.nodeAuc()), ev.nodeRoc()));
        if (!Double.isNaN(ev.edgeAuc())) c.addSeries(series(String.format(Locale.ROOT, "edges (AUC %.3f)", ev.edgeAuc()), ev.edgeRoc()));
        XYSeries diag = new XYSeries("chance", false, true);
        diag.add(0, 0);
        diag.add(1, 1);
        c.addSeries(diag);
        JFreeChart chart = ChartFactory.createXYLineChart("ROC against " + ev.truth().task() + " ground truth", "false-positive rate",
                "true-positive rate", c, PlotOrientation.VERTICAL, true, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 640, 420);
    }

    private static XYSeries series(String name, double[][] pts) {
        XYSeries s = new XYSeries(name, false, true);
        for (double[] p : pts) s.add(p[0], p[1]);
        return s;
    }

    private static void row(StringBuilder s, String k, String v) {
        s.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>");
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
