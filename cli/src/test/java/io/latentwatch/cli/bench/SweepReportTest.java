package io.latentwatch.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep covers the ranges, and its report is a table row per point and a PNG with a panel per axis. */
class SweepReportTest {
    @TempDir Path tmp;

    @Test
    void pointsCoverTheRangesAndTheReportHasARowPerPoint() throws Exception {
        List<CostSweep.Point> points = CostSweep.points();
        assertEquals(4096, points.stream().filter(p -> p.vary().equals("d_sae")).mapToInt(CostSweep.Point::dSae).min().orElse(0));
        assertEquals(65536, points.stream().filter(p -> p.vary().equals("d_sae")).mapToInt(CostSweep.Point::dSae).max().orElse(0));
        assertEquals(64, points.stream().filter(p -> p.vary().equals("d_in")).mapToInt(CostSweep.Point::dIn).min().orElse(0));
        assertEquals(4096, points.stream().filter(p -> p.vary().equals("d_in")).mapToInt(CostSweep.Point::dIn).max().orElse(0));
        for (String axis : SweepReport.AXES) assertTrue(points.stream().anyMatch(p -> p.vary().equals(axis)), axis);

        List<Map<String, Object>> rows = new ArrayList<>();
        double rate = 1000;
        for (CostSweep.Point p : points) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("vary", p.vary());
            r.put("d_in", p.dIn());
            r.put("d_sae", p.dSae());
            r.put("k", p.k());
            r.put("positions", p.positions());
            r.put("keys", p.keys());
            r.put("activations_per_s", Math.round(rate));
            r.put("samples_per_s", Math.round(rate / p.positions()));
            r.put("p50_ms", 100);
            r.put("p99_ms", 200);
            r.put("flops_per_activation", 2L * p.dIn() * p.dSae() + 2L * p.k() * p.dIn());
            r.put("memory_per_key_mib", CostSweep.memoryPerKey(p.dIn(), p.dSae(), p.k(), 500) / 1048576.0);
            r.put("loadavg", 1.0);
            rows.add(r);
            rate *= 0.9;
        }
        SweepReport.write(rows, tmp);
        String table = Files.readString(tmp.resolve("monitor-sweep.md"));
        assertEquals(points.size() + 2, table.lines().count(), table);
        BufferedImage png = ImageIO.read(tmp.resolve("monitor-sweep.png").toFile());
        assertEquals(3 * 520, png.getWidth());
        assertEquals(2 * 360, png.getHeight());
    }

    @Test
    void memoryPerKeyIsDominatedByTheWeights() {
        // d_in 768, d_sae 24576: W_enc + W_dec are 2 x 768 x 24576 float32 = 144 MiB.
        long bytes = CostSweep.memoryPerKey(768, 24576, 64, 500);
        assertTrue(bytes >= 2L * 768 * 24576 * 4 && bytes < 2L * 768 * 24576 * 4 + (1 << 20), Long.toString(bytes));
    }
}
