package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import io.latentwatch.schema.Alert;
import org.junit.jupiter.api.Test;

/** Topics that carry their serdes: the names follow the prefix, values round-trip under their contract. */
class TypedTopicsTest {
    private final TypedTopics topics = TypedTopics.of(Topics.withPrefix("typed-test."), LatentwatchSerdes.forRegistry("embedded"));

    @Test
    void namesAreThePrefixedTopicNames() {
        Topics n = topics.names();
        assertEquals(n.all(),
                List.of(topics.hiddenStates().name(), topics.examples().name(), topics.saeVersions().name(), topics.alerts().name(),
                        topics.explanations().name(), topics.incidents().name(), topics.dlq().name(), topics.auditCheckpoints().name()));
        assertEquals("typed-test.hidden-states", topics.hiddenStatesRaw().name());
    }

    @Test
    void aValueWrittenWithTheTopicsSerdeReadsBackWithIt() {
        Topic<String, Alert> t = topics.alerts();
        Alert a = SampleRecords.alert();
        byte[] bytes = t.valueSerde().serializer().serialize(t.name(), a);
        assertEquals(0, bytes[0]); // Confluent wire format
        assertEquals(a, t.valueSerde().deserializer().deserialize(t.name(), bytes));
        assertEquals("model|hook", t.keySerde().deserializer().deserialize(t.name(), t.keySerde().serializer().serialize(t.name(), "model|hook")));
        byte[] raw = {1, 2, 3};
        assertArrayEquals(raw, topics.dlq().valueSerde().deserializer().deserialize(topics.dlq().name(), raw));
        assertEquals(t.name(), t.record("k", a).topic());
    }

    @Test
    void aTopicNamedOtherwiseKeepsItsContract() {
        Topic<String, Alert> t = topics.alerts(), copy = t.named("elsewhere");
        assertEquals("elsewhere", copy.name());
        Alert a = SampleRecords.alert();
        assertEquals(a, copy.valueSerde().deserializer().deserialize(copy.name(), t.valueSerde().serializer().serialize(t.name(), a)));
    }
}
