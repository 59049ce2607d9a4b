package io.latentwatch.interp.zoo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** A training-loss PNG (raw per-step loss and a 25-step moving average) drawn with JFreeChart. */
public final class LossCurvePlot {
    private LossCurvePlot() {}

    public static void write(List<Float> losses, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeries raw = new XYSeries("loss per step"), avg = new XYSeries("moving average (25)");
        double window = 0;
        for (int i = 0; i < losses.size(); i++) {
            raw.add(i + 1, losses.get(i));
            window += losses.get(i);
            if (i >= 25) window -= losses.get(i - 25);
            avg.add(i + 1, window / Math.min(i + 1, 25));
        }
        XYSeriesCollection ds = new XYSeriesCollection();
        ds.addSeries(raw);
        ds.addSeries(avg);
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", "cross-entropy (nats)", ds,
                PlotOrientation.VERTICAL, true, false, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 800, 450);
    }
}
