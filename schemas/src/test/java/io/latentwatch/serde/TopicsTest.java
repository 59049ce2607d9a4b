package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void defaultNamesCarryTheLatentwatchPrefix() {
        Topics t = Topics.defaults();
        assertEquals(List.of("latentwatch.hidden-states", "latentwatch.examples", "latentwatch.sae-versions",
                "latentwatch.alerts", "latentwatch.explanations", "latentwatch.incidents", "latentwatch.dlq",
                "latentwatch.audit-checkpoints"), t.all());
    }

    @Test
    void thePrefixIsConfigurable() {
        assertEquals("staging.lw.alerts", Topics.withPrefix("staging.lw.").alerts());
        assertThrows(IllegalArgumentException.class, () -> Topics.withPrefix("bad prefix/"));
    }

    @Test
    void onlySaeVersionsAndIncidentsAreCompacted() {
        for (NewTopic t : Topics.defaults().newTopics(3, (short) 1)) {
            assertEquals(3, t.numPartitions());
            Map<String, String> configs = t.configs() == null ? Map.of() : t.configs();
            String want = t.name().endsWith("sae-versions") || t.name().endsWith("incidents") ? "compact" : t.name().endsWith("explanations") || t.name().endsWith("audit-checkpoints") ? "delete" : null;
            assertEquals(want, configs.get("cleanup.policy"), t.name());
        }
        assertThrows(IllegalArgumentException.class, () -> Topics.defaults().newTopics(0, (short) 1));
    }

    @Test
    void explanationsAreKeptForeverUnlessACompliancePeriodIsConfigured() {
        Topics t = Topics.defaults();
        assertEquals("-1", t.configs(t.explanations(), TopicSettings.of(1)).get("retention.ms"));
        assertEquals("-1", t.configs(t.explanations(), TopicSettings.of(1)).get("retention.bytes"));
        TopicSettings tenYears = new TopicSettings(6, (short) 1, TopicSettings.parseRetention("P3650D"));
        assertEquals(Long.toString(3650L * 24 * 3600 * 1000), t.configs(t.explanations(), tenYears).get("retention.ms"));
        assertEquals(Map.of(), t.configs(t.alerts(), tenYears));
        // The signed chain heads live as long as the records they sign.
        assertEquals("-1", t.configs(t.auditCheckpoints(), TopicSettings.of(1)).get("retention.ms"));
        assertEquals(Long.toString(3650L * 24 * 3600 * 1000), t.configs(t.auditCheckpoints(), tenYears).get("retention.ms"));
        assertEquals(6, t.newTopics(tenYears).get(0).numPartitions());
    }

    @Test
    void settingsComeFromTheEnvironmentWithClearErrors() {
        TopicSettings s = TopicSettings.fromEnvironment(Map.of(TopicSettings.PARTITIONS_ENV, "4",
                TopicSettings.EXPLANATIONS_RETENTION_ENV, "forever"));
        assertEquals(4, s.partitions());
        assertEquals(-1, s.explanationsRetentionMs());
        assertEquals(3, TopicSettings.fromEnvironment(Map.of()).partitions());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TopicSettings.parseRetention("ten years"));
        assertTrue(e.getMessage().contains("P3650D"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TopicSettings.parseRetention("-PT1H"));
    }
}
