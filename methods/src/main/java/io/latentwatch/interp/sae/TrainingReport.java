package io.latentwatch.interp.sae;

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
import java.util.function.ToDoubleFunction;

/**
 * A training report: PNG curves (loss, FVU, L0, dead fraction; JFreeChart, headless) and an HTML
 * page with the final validation metrics and the hyper-parameters.
 */
public final class TrainingReport {
    private TrainingReport() {}

    /** Writes loss.png, fvu.png, l0.png, dead.png and report.html into {@code dir}; returns the HTML path. */
    public static Path write(SaeTraining.Result res, SaeConfig cfg, SaeTrainingOptions opt, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        List<TrainingPoint> h = res.history();
        chart(dir.resolve("loss.png"), "Training loss", "loss", h, new String[] {"total", "mse", "sparsity/aux"},
                List.of(TrainingPoint::loss, TrainingPoint::mse, p -> p.sparsityLoss() + p.auxLoss()));
        chart(dir.resolve("fvu.png"), "Fraction of variance unexplained", "FVU", h, new String[] {"train batch", "validation"},
                List.of(TrainingPoint::trainFvu, TrainingPoint::valFvu));
        chart(dir.resolve("l0.png"), "L0 (active latents per token)", "L0", h, new String[] {"train batch", "validation"},
                List.of(TrainingPoint::l0, TrainingPoint::valL0));
        chart(dir.resolve("dead.png"), "Dead and dense latents", "fraction", h, new String[] {"dead", "dense"},
                List.of(TrainingPoint::deadFraction, TrainingPoint::denseFraction));
        SaeEvaluation v = res.validation();
        StringBuilder s = new StringBuilder();
        s.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SAE training report</title>")
         .append("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:left}img{width:45%;margin:1%}</style>")
         .append("</head><body><h1>SAE training report</h1>");
        s.append("<h2>").append(esc(cfg.modelName())).append(" · ").append(esc(cfg.hookName())).append("</h2>");
        s.append("<table>");
        row(s, "architecture", cfg.architecture() + (cfg.isTopK() ? " (k=" + cfg.k() + ")" : " (λ=" + opt.l1Coefficient() + ")"));
        row(s, "d_in × d_sae", cfg.dIn() + " × " + cfg.dSae());
        row(s, "validation FVU", String.format("%.4f", v.fvu()));
        row(s, "validation MSE", String.format("%.6g", v.mse()));
        row(s, "validation L0", String.format("%.2f", v.l0()));
        row(s, "dead latents (never fired on validation)", String.format("%.1f%%", 100 * v.deadFraction()));
        row(s, "dense latents (fire on >" + opt.denseThreshold() + " of tokens)", String.format("%.1f%%", 100 * v.denseFraction()));
        row(s, "validation tokens", Integer.toString(v.rows()));
        row(s, "training tokens", Long.toString(res.tokens()));
        row(s, "steps × batch", opt.steps() + " × " + opt.batchSize());
        row(s, "wall time", String.format("%.1f s (%.0f tokens/s)", res.seconds(), res.tokensPerSecond()));
        row(s, "Adam lr (warm-up, decay)", opt.lr() + " (" + opt.warmupFraction() + ", " + opt.decayFraction() + ")");
        row(s, "b_dec init", opt.bDecInit());
        row(s, "input scale (folded)", String.format("%.4g", res.inputScale()));
        row(s, "resampled latents", Integer.toString(res.resampledLatents()));
        s.append("</table>");
        for (String img : new String[] {"loss.png", "fvu.png", "l0.png", "dead.png"}) s.append("<img src=\"").append(img).append("\">");
        s.append("</body></html>\n");
        Path html = dir.resolve("report.html");
        Files.writeString(html, s.toString(), StandardCharsets.UTF_8);
        return html;
    }

    private static void chart(Path png, String title, String yLabel, List<TrainingPoint> h, String[] names,
                              List<ToDoubleFunction<TrainingPoint>> ys) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (int i = 0; i < names.length; i++) {
            XYSeries series = new XYSeries(names[i]);
            for (TrainingPoint p : h) {
                double y = ys.get(i).applyAsDouble(p);
                if (Double.isFinite(y)) series.add(p.tokens(), y);
            }
            data.addSeries(series);
        }
        JFreeChart c = ChartFactory.createXYLineChart(title, "training tokens", yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(png.toFile(), c, 640, 400);
    }

    private static void row(StringBuilder s, String k, String v) {
        s.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>");
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
