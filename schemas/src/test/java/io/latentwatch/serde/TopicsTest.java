package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void defaultNamesCarryTheLatentwatchPrefix() {
        Topics t = Topics.defaults();
        assertEquals(List.of("latentwatch.hidden-states", "latentwatch.examples", "latentwatch.sae-versions",
                "latentwatch.alerts", "latentwatch.explanations", "latentwatch.incidents", "latentwatch.dlq"), t.all());
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
            assertEquals(t.name().endsWith("sae-versions") || t.name().endsWith("incidents") ? "compact" : null, configs.get("cleanup.policy"), t.name());
        }
        assertThrows(IllegalArgumentException.class, () -> Topics.defaults().newTopics(0, (short) 1));
    }
}
