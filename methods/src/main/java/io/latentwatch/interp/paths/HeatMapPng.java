package io.latentwatch.interp.paths;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Path;

/** A [row][column] matrix as a PNG heat map (JFreeChart, headless), values written in the cells. */
public final class HeatMapPng {
    private HeatMapPng() {}

    /** Diverging blue-white-red scale over [-max, max] (or white-red over [0, max] when {@code lower == 0}). */
    record Scale(double lower, double upper) implements PaintScale {
        @Override public double getLowerBound() { return lower; }

        @Override public double getUpperBound() { return upper; }

        @Override public Paint getPaint(double v) {
            if (Double.isNaN(v)) return Color.LIGHT_GRAY;
            double x = Math.max(lower, Math.min(upper, v));
            if (x >= 0) {
                float f = (float) (upper == 0 ? 0 : x / upper);
                return new Color(1f, 1f - f * 0.85f, 1f - f * 0.85f);
            }
            float f = (float) (lower == 0 ? 0 : x / lower);
            return new Color(1f - f * 0.85f, 1f - f * 0.85f, 1f);
        }
    }

    public static void write(double[][] m, String[] rowLabels, String[] colLabels, String title, String valueLabel, Path png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        int rows = m.length, cols = m[0].length;
        double[] xs = new double[rows * cols], ys = new double[rows * cols], zs = new double[rows * cols];
        double max = 1e-9, min = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                xs[i] = c;
                ys[i] = r;
                zs[i] = m[r][c];
                if (!Double.isNaN(m[r][c])) { max = Math.max(max, Math.abs(m[r][c])); min = Math.min(min, m[r][c]); }
            }
        DefaultXYZDataset ds = new DefaultXYZDataset();
        ds.addSeries("v", new double[][] {xs, ys, zs});
        XYBlockRenderer renderer = new XYBlockRenderer();
        Scale scale = new Scale(min < 0 ? -max : 0, max);
        renderer.setPaintScale(scale);
        SymbolAxis x = new SymbolAxis("", colLabels);
        SymbolAxis y = new SymbolAxis("", rowLabels);
        y.setInverted(true);
        XYPlot plot = new XYPlot(ds, x, y, renderer);
        plot.setBackgroundPaint(Color.LIGHT_GRAY);
        Font f = new Font("SansSerif", Font.PLAIN, Math.max(8, Math.min(12, 320 / Math.max(rows, cols))));
        if (rows * cols <= 400) {
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) {
                    if (Double.isNaN(m[r][c])) continue;
                    XYTextAnnotation a = new XYTextAnnotation(String.format("%.2f", m[r][c]), c, r);
                    a.setFont(f);
                    plot.addAnnotation(a);
                }
        }
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 13), plot, false);
        NumberAxis legendAxis = new NumberAxis(valueLabel);
        legendAxis.setRange(scale.getLowerBound(), scale.getUpperBound());
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, Math.max(420, 70 * cols + 200), Math.max(260, 45 * rows + 120));
    }

    public static String[] labels(String prefix, int n) {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) s[i] = prefix + i;
        return s;
    }
}
