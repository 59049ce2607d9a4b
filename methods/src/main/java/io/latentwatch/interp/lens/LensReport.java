package io.latentwatch.interp.lens;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Writes the lens evaluation as report.json ({"methods": {"logit_lens": [{"layer", "precision_at_1",
 * "surprisal", "kl_to_final"}, ...], ...}} plus metadata) and report.html with the per-layer curves as PNGs
 * (JFreeChart, headless).
 */
public final class LensReport {
    private LensReport() {}

    public static void write(Path dir, Map<String, List<LayerScore>> methods, Map<String, Object> meta) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        meta.forEach((k, v) -> root.set(k, om.valueToTree(v)));
        root.put("definitions", "layer l: residual stream entering block l (l = n_layers: after the last block). y* = argmax of the "
                + "model's final next-token distribution at the position. precision_at_1 = share of positions where the decoder's top "
                + "token is y*; surprisal = mean -ln q(y*) under the decoder's distribution q (nats); kl_to_final = mean "
                + "KL(p_final || q) (nats). Positions: every non-BOS token of the held-out prompts.");
        ObjectNode ms = root.putObject("methods");
        methods.forEach((name, scores) -> {
            ArrayNode a = ms.putArray(name);
            for (LayerScore s : scores) {
                ObjectNode o = a.addObject();
                o.put("layer", s.layer());
                o.put("precision_at_1", s.precisionAt1());
                o.put("surprisal", s.surprisal());
                o.put("kl_to_final", s.klToFinal());
            }
        });
        om.writeValue(dir.resolve("report.json").toFile(), root);
        chart(dir.resolve("precision_at_1.png"), "Precision@1 by layer", "Precision@1", methods, LayerScore::precisionAt1);
        chart(dir.resolve("surprisal.png"), "Surprisal of the model's top-1 token by layer", "surprisal (nats)", methods, LayerScore::surprisal);
        chart(dir.resolve("kl_to_final.png"), "KL(final || decoder) by layer", "KL (nats)", methods, LayerScore::klToFinal);
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Lens report: ").append(esc(String.valueOf(meta.get("model"))))
                .append("</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>");
        h.append("<h1>Lens report: ").append(esc(String.valueOf(meta.get("model")))).append("</h1><ul>");
        meta.forEach((k, v) -> h.append("<li><b>").append(esc(k)).append("</b>: ").append(esc(String.valueOf(v))).append("</li>"));
        h.append("</ul><p>").append(esc(root.get("definitions").asText())).append("</p>");
        h.append("<img src=\"precision_at_1.png\" alt=\"Precision@1\"><img src=\"surprisal.png\" alt=\"surprisal\">"
                + "<img src=\"kl_to_final.png\" alt=\"KL\">");
        h.append("<table><tr><th>method</th><th>layer</th><th>Precision@1</th><th>surprisal</th><th>KL</th></tr>");
        methods.forEach((name, scores) -> {
            for (LayerScore s : scores) {
                h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>",
                        esc(name), s.layer(), s.precisionAt1(), s.surprisal(), s.klToFinal()));
            }
        });
        h.append("</table></body></html>\n");
        Files.writeString(dir.resolve("report.html"), h, StandardCharsets.UTF_8);
    }

    private static void chart(Path file, String title, String yLabel, Map<String, List<LayerScore>> methods,
                              ToDoubleFunction<LayerScore> f) throws IOException {
        XYSeriesCollection ds = new XYSeriesCollection();
        methods.forEach((name, scores) -> {
            XYSeries s = new XYSeries(name);
            for (LayerScore sc : scores) s.add(sc.layer(), f.applyAsDouble(sc));
            ds.addSeries(s);
        });
        JFreeChart c = ChartFactory.createXYLineChart(title, "layer (residual stream entering block l)", yLabel, ds,
                PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(file.toFile(), c, 640, 400);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
