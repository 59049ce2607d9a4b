package io.latentwatch.monitor;

import io.latentwatch.monitor.audit.AuditKey;
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

    @Test
    void endpointsBindToLoopbackByDefaultAndSecretsFromTheEnvironmentStayOutOfEveryDump() {
        MonitorConfig d = MonitorConfig.defaults();
        assertEquals("127.0.0.1", d.str(MonitorConfig.HTTP_HOST));
        assertEquals("127.0.0.1", d.str(MonitorConfig.METRICS_HOST));
        assertEquals(null, d.httpToken());
        assertEquals(null, d.auditKey());
        String key = "an-audit-key-of-at-least-32-bytes-0123456789", token = "a-bearer-token-0123456789";
        MonitorConfig c = MonitorConfig.of(Map.of(), Map.of("LATENTWATCH_AUDIT_KEY", key, MonitorConfig.HTTP_TOKEN_ENV, token));
        assertTrue(c.httpToken().accepts("Bearer " + token));
        assertEquals(AuditKey.of(key), c.auditKey());
        assertEquals(c.auditKey(), c.with(MonitorConfig.BATCH_MAX_RECORDS, 8).auditKey(), "kept by with()");
        for (String dump : new String[] {c.toString(), c.asMap().toString(), MonitorConfig.describeSettings()}) {
            assertTrue(!dump.contains(key) && !dump.contains(token), dump);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MonitorConfig.of(Map.of(), Map.of("LATENTWATCH_AUDIT_KEY", "short")));
        assertTrue(e.getMessage().contains("LATENTWATCH_AUDIT_KEY") && !e.getMessage().contains("short\""), e.getMessage());
    }
}
