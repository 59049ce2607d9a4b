package io.latentwatch.monitor;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MonitorMetricsTest {
    private static MetricsScrape scrape(MonitorMetrics m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, m.registry().scrape());
        return MetricsScrape.parse(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void namesAndLabelsFollowTheConventionAndTheTextFormatAgreesWithTheCounters() throws Exception {
        MonitorMetrics m = new MonitorMetrics();
        m.processed("a");
        m.processed("a");
        m.processed("b");
        m.deadLettered("non-finite");
        m.alert("activation-norm", "a", "blocks.0.hook_resid_post");
        m.latencySeconds(0.002);
        MetricsScrape s = scrape(m);
        assertEquals(3, s.sum("latentwatch_records_processed_total"));
        assertEquals(2, s.sum("latentwatch_records_processed_total", Map.of("model", "a")));
        assertEquals(1, s.sum("latentwatch_records_dead_lettered_total", Map.of("reason", "non-finite")));
        assertEquals(1, s.sum("latentwatch_alerts_total", Map.of("detector", "activation-norm", "hook", "blocks.0.hook_resid_post")));
        assertEquals(1, s.sum("latentwatch_processing_latency_seconds_count"));
        assertEquals(0.002, s.sum("latentwatch_processing_latency_seconds_sum"), 1e-12);
        // 2 ms falls in the 2.5 ms bucket and every bucket above it (cumulative), not in the 1 ms one.
        assertEquals(1, s.sum("latentwatch_processing_latency_seconds_bucket", Map.of("le", "0.0025")));
        assertEquals(0, s.sum("latentwatch_processing_latency_seconds_bucket", Map.of("le", "0.001")));
        assertEquals(3, m.processedTotal());
        assertEquals(Map.of("activation-norm", 1L), m.alertsByDetector());
    }

    @Test
    void modelLabelValuesAreBoundedSoProducersCannotExplodeTheSeries() throws Exception {
        MonitorMetrics m = new MonitorMetrics();
        int n = MonitorMetrics.MAX_LABEL_VALUES + 50;
        for (int i = 0; i < n; i++) m.processed("model-" + i);
        MetricsScrape s = scrape(m);
        assertEquals(n, s.sum("latentwatch_records_processed_total"));
        assertEquals(50, s.sum("latentwatch_records_processed_total", Map.of("model", MonitorMetrics.OTHER)));
        assertTrue(s.sumBy("latentwatch_records_processed_total", "model").size() <= MonitorMetrics.MAX_LABEL_VALUES + 1);
    }
}
