package io.latentwatch.cli;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.schema.Activation;
import io.latentwatch.serde.AvroJson;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topic;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.WireFormat;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code latentwatch consume}: the Avro console consumer of this project. */
@Command(name = "consume", mixinStandardHelpOptions = true,
        description = {"Prints the records of a latentwatch topic, decoded through the schema registry with each record's "
                + "own writer schema (Avro -> JSON): one JSON object per line with --json, with topic, partition, "
                + "offset, timestamp, key, headers and value.",
                "Reads committed records only (read_committed), from every partition, without a consumer group (no "
                        + "offsets are committed). Bytes are shown as {\"bytes\": n, \"base64\": ...}; activations also "
                        + "with their decoded values; timestamps as ISO-8601. A record that does not decode (typical of "
                        + "the dead-letter topic, whose records keep the original bytes and say why in their headers) "
                        + "is printed with value null, value_error and its raw bytes.",
                "Example: latentwatch consume --topic alerts --from-beginning --timeout 5s --json"})
public final class ConsumeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--topic", required = true,
            description = "Topic: a full name (latentwatch.alerts) or latentwatch's short name (hidden-states, examples, "
                    + "sae-versions, alerts, explanations, dlq), prefixed with --topic-prefix.")
    String topic;

    @Option(names = "--topic-prefix", description = "Prefix for short names (default: $LATENTWATCH_TOPIC_PREFIX or latentwatch.).")
    String prefix;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = "--registry", defaultValue = "http://localhost:8080",
            description = "Schema registry URL (default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE}).")
    String registry;

    @Option(names = "--from-beginning", description = "Start at the oldest record kept (default: only records written from now on).")
    boolean fromBeginning;

    @Option(names = "--timeout", description = "Exit when no record has arrived for this long (e.g. 5s; default: run until Ctrl-C).")
    Duration timeout;

    @Option(names = "--max-records", description = "Exit after this many records.")
    Long maxRecords;

    @Option(names = "--json", description = "One JSON object per line (for jq and scripts); default: a short line per record.")
    boolean json;

    @Option(names = "--max-values", defaultValue = "16",
            description = "Decoded activation values shown per activation (0: none). Default: ${DEFAULT-VALUE}.")
    int maxValues;

    @Override
    public Integer call() throws Exception {
        Topics topics = prefix == null ? Topics.fromEnvironment() : Topics.withPrefix(prefix);
        String name = resolve(topics, topic);
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
        AvroJson avroJson = AvroJson.plain().withRecordHook(Activation.getClassSchema().getFullName(), this::activationValues);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> cfg = KafkaConfig.withEnvironment(Map.of("bootstrap.servers", KafkaConfig.bootstrapServers(bootstrap),
                "isolation.level", "read_committed", "enable.auto.commit", "false"));
        long printed = 0;
        try (Deserializer<GenericRecord> values = serdes.genericDeserializer();
             // Raw bytes, decoded per record with the writer's schema: an undecodable record is shown, not fatal.
             KafkaConsumer<String, byte[]> consumer = Topic.raw(name).consumer(cfg)) {
            var infos = consumer.partitionsFor(name, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + name + " does not exist (list them with: latentwatch topics describe)");
            }
            List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(name, i.partition())).toList();
            consumer.assign(tps);
            if (fromBeginning) {
                consumer.seekToBeginning(tps);
            } else {
                consumer.seekToEnd(tps);
            }
            long lastRecord = System.nanoTime();
            while (maxRecords == null || printed < maxRecords) {
                var batch = consumer.poll(Duration.ofMillis(250));
                for (ConsumerRecord<String, byte[]> r : batch) {
                    ObjectNode line = line(r, values, avroJson);
                    out.println(json ? JSON.writeValueAsString(line) : human(line));
                    printed++;
                    if (maxRecords != null && printed >= maxRecords) {
                        break;
                    }
                }
                out.flush();
                if (!batch.isEmpty()) {
                    lastRecord = System.nanoTime();
                } else if (timeout != null && System.nanoTime() - lastRecord > timeout.toNanos()) {
                    break;
                }
            }
        }
        spec.commandLine().getErr().println("consume: " + printed + " record(s) from " + name);
        return 0;
    }

    static String resolve(Topics topics, String t) {
        List<String> shortNames = List.of(Topics.HIDDEN_STATES, Topics.EXAMPLES, Topics.SAE_VERSIONS, Topics.ALERTS,
                Topics.EXPLANATIONS, Topics.DLQ);
        return shortNames.contains(t) ? topics.prefix() + t : t;
    }

    private ObjectNode line(ConsumerRecord<String, byte[]> r, Deserializer<GenericRecord> values, AvroJson avroJson) {
        ObjectNode o = JSON.createObjectNode();
        o.put("topic", r.topic());
        o.put("partition", r.partition());
        o.put("offset", r.offset());
        o.put("timestamp", Instant.ofEpochMilli(r.timestamp()).toString());
        o.put("key", r.key());
        ObjectNode headers = o.putObject("headers");
        for (Header h : r.headers()) {
            headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        byte[] v = r.value();
        if (v == null) {
            o.putNull("value"); // a tombstone (compacted sae-versions)
            return o;
        }
        try {
            GenericRecord g = values.deserialize(r.topic(), r.headers(), v);
            o.put("schema_id", WireFormat.schemaId(v));
            o.put("type", g.getSchema().getFullName());
            o.set("value", avroJson.toJson(g, g.getSchema()));
        } catch (RuntimeException e) {
            o.putNull("value");
            o.put("value_error", e.getMessage());
            o.set("value_raw", AvroJson.bytes(ByteBuffer.wrap(v)));
        }
        return o;
    }

    /** Activations also show their vector: the raw bytes are little-endian floats of the given dtype. */
    private void activationValues(GenericRecord generic, ObjectNode json) {
        if (maxValues <= 0) {
            return;
        }
        try {
            Activation a = (Activation) SpecificData.get().deepCopy(Activation.getClassSchema(), generic);
            float[] x = ActivationEncoder.decode(a);
            ArrayNode arr = json.putArray("values");
            for (int i = 0; i < Math.min(maxValues, x.length); i++) {
                arr.add(x[i]);
            }
            if (x.length > maxValues) {
                json.put("values_shown", maxValues + " of " + x.length);
            }
        } catch (RuntimeException e) {
            json.put("values_error", e.getMessage());
        }
    }

    private static String human(ObjectNode line) {
        return line.get("topic").asText() + "-" + line.get("partition").asInt() + "@" + line.get("offset").asLong()
                + " key=" + line.get("key").asText() + (line.get("headers").isEmpty() ? "" : " headers=" + line.get("headers"))
                + " " + (line.has("value_error") ? "UNDECODABLE: " + line.get("value_error").asText() : line.get("value"));
    }
}
