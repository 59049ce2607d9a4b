package io.latentwatch.monitor;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MonitorConfigTest {
    @Test
    void environmentOverridesPropertiesWhichOverrideDefaults() {
        assertEquals(256, MonitorConfig.defaults().integer(MonitorConfig.BATCH_MAX_RECORDS));
        MonitorConfig c = MonitorConfig.of(Map.of(MonitorConfig.DRIFT_FDR, "0.01", MonitorConfig.BATCH_MAX_RECORDS, "32"),
                Map.of("LATENTWATCH_MONITOR_DRIFT_FDR", "0.05"));
        assertEquals(0.05, c.dbl(MonitorConfig.DRIFT_FDR));
        assertEquals(32, c.integer(MonitorConfig.BATCH_MAX_RECORDS));
        assertEquals("LATENTWATCH_MONITOR_RECON_QUANTILE", MonitorConfig.envName(MonitorConfig.RECON_QUANTILE));
    }

    @Test
    void badValuesAreRefusedWithTheKeyNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.of(Map.of(MonitorConfig.DRIFT_FDR, "2"), Map.of()));
        assertTrue(e.getMessage().contains(MonitorConfig.DRIFT_FDR), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MonitorConfig.of(Map.of("monitor.batch.size", "2"), Map.of()));
        assertTrue(e.getMessage().contains("unknown monitor setting"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.of(Map.of(), Map.of("LATENTWATCH_MONITOR_BATCH_MAX_RECORDS", "many")));
        assertTrue(e.getMessage().contains(MonitorConfig.BATCH_MAX_RECORDS), e.getMessage());
    }
}
