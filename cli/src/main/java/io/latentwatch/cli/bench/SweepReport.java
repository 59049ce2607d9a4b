package io.latentwatch.cli.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the cost sweep ({@link CostSweep}) as a Markdown table and one PNG with a panel per axis
 * (activations/s and p99 latency against the parameter that grows), drawn with JFreeChart.
 */
public final class SweepReport {
    private SweepReport() {}

    static final List<String> AXES = List.of("d_sae", "k", "d_in", "positions", "keys");

    public static String table(List<Map<String, Object>> rows) {
        StringBuilder sb = new StringBuilder("| axis | d_in | d_sae | k | positions | keys | activations/s | samples/s | p50 ms | p99 ms "
                + "| MFLOP/activation | MiB per (model, hook) | load |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Map<String, Object> r : rows) {
            sb.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s |%n", r.get("vary"), r.get("d_in"),
                    r.get("d_sae"), r.get("k"), r.get("positions"), r.get("keys"), r.get("activations_per_s"), r.get("samples_per_s"),
                    r.get("p50_ms"), r.get("p99_ms"), ((Number) r.get("flops_per_activation")).doubleValue() / 1e6,
                    r.get("memory_per_key_mib"), r.get("loadavg")));
        }
        return sb.toString();
    }

    static void write(List<Map<String, Object>> rows, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("monitor-sweep.md"), table(rows));
        int w = 520, h = 360;
        BufferedImage img = new BufferedImage(w * 3, h * 2, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < AXES.size(); i++) {
            chart(rows, AXES.get(i)).draw(g, new Rectangle2D.Double((i % 3) * w, (i / 3) * h, w, h));
        }
        g.dispose();
        ImageIO.write(img, "png", dir.resolve("monitor-sweep.png").toFile());
    }

    /** One axis: the points that vary it, plus the reference point where it lies on that axis. */
    private static JFreeChart chart(List<Map<String, Object>> rows, String axis) {
        XYSeries rate = new XYSeries("activations/s"), p99 = new XYSeries("p99 ms");
        for (Map<String, Object> r : rows) {
            boolean on = axis.equals(r.get("vary")) || ("reference".equals(r.get("vary")) && !axis.equals("keys"));
            if (!on) continue;
            double x = ((Number) r.get(axis)).doubleValue();
            rate.add(x, ((Number) r.get("activations_per_s")).doubleValue());
            p99.add(x, ((Number) r.get("p99_ms")).doubleValue());
        }
        JFreeChart c = ChartFactory.createXYLineChart("as " + axis + " grows", axis, "activations/s", new XYSeriesCollection(rate),
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = c.getXYPlot();
        LogAxis x = new LogAxis(axis);
        x.setBase(2);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        plot.setDomainAxis(x);
        plot.setRangeAxis(1, new NumberAxis("p99 ms"));
        plot.setDataset(1, new XYSeriesCollection(p99));
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer second = new XYLineAndShapeRenderer(true, true);
        second.setSeriesPaint(0, Color.RED);
        plot.setRenderer(1, second);
        XYLineAndShapeRenderer first = (XYLineAndShapeRenderer) plot.getRenderer();
        first.setDefaultShapesVisible(true);
        first.setSeriesPaint(0, new Color(0x1f, 0x5f, 0xbf));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return c;
    }
}
