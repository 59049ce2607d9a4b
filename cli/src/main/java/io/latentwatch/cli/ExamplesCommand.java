package io.latentwatch.cli;

import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.latentwatch.trainer.ExamplesPublisher;
import io.latentwatch.trainer.LabeledExampleFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch examples}: puts labelled examples on the examples topic, the trainer's input. */
@Command(name = "examples", mixinStandardHelpOptions = true, subcommands = ExamplesCommand.Publish.class,
        description = "Labelled examples for the trainer (topic latentwatch.examples).")
public final class ExamplesCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code latentwatch examples publish}: REFERENCE prompts, a circuit task's POSITIVE/NEGATIVE prompts, or a JSONL file. */
    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Publishes LabeledExamples to the examples topic, from which 'latentwatch trainer' refits its SAE (every "
                    + "label is training text; --min-new-examples of them start a refit) and, with --circuit-task, the circuit "
                    + "signature (POSITIVE and NEGATIVE examples of the task, REFERENCE ones as its baseline). A fresh deployment "
                    + "gets its first SAE and circuit signature this way (deploy/local/stack does it on its first 'up').",
                    "Environment: LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_REGISTRY_URL, LATENTWATCH_TOPIC_PREFIX, LATENTWATCH_KAFKA_<PROPERTY>.",
                    "Example: latentwatch examples publish --model-id zoo-small --reference 600 --circuits models/zoo-small/circuits.json "
                            + "--task succession"})
    public static final class Publish implements Callable<Integer> {
        @Option(names = "--model-id", required = true, description = "Model the examples are for (the id the nodes publish, e.g. zoo-small)")
        String modelId;

        @Option(names = "--reference", defaultValue = "0", description = "Generate this many REFERENCE prompts of the model's "
                + "domain (the traffic generator's normal prompts) (default: ${DEFAULT-VALUE})")
        int reference;

        @Option(names = "--circuits", description = "A zoo circuits.json: publish --task's positive and negative examples")
        Path circuits;

        @Option(names = "--task", defaultValue = "succession", description = "Task of --circuits (default: ${DEFAULT-VALUE})")
        String task;

        @Option(names = "--file", description = "JSONL of LabeledExamples (prompt, label, task, source, modelId, timestampMs)")
        Path file;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated reference prompts (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS, else localhost:9092)")
        String bootstrap;

        @Option(names = "--registry", description = "Schema registry URL (default: $LATENTWATCH_REGISTRY_URL, else http://localhost:8080)")
        String registry;

        @Override
        public Integer call() throws Exception {
            List<LabeledExample> all = new ArrayList<>();
            if (reference > 0) {
                PromptMix mix = new PromptMix(PromptMix.domainFor(modelId), seed);
                List<String> prompts = new ArrayList<>();
                for (int i = 0; i < reference; i++) prompts.add(mix.normal().text());
                all.addAll(ExamplesPublisher.reference(prompts, modelId, "latentwatch examples publish --reference"));
            }
            if (circuits != null) all.addAll(ExamplesPublisher.fromCircuitsJson(circuits, task, modelId));
            if (file != null) all.addAll(LabeledExampleFile.read(file));
            if (all.isEmpty()) throw new IllegalArgumentException("nothing to publish: give --reference N, --circuits FILE or --file FILE");
            Topics topics = Topics.fromEnvironment();
            Map<String, Object> kafka = KafkaConfig.withEnvironment(Map.of("bootstrap.servers",
                    bootstrap != null ? bootstrap : KafkaConfig.bootstrapServers("localhost:9092")));
            LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(registry != null ? registry : KafkaConfig.registry("http://localhost:8080"));
            int n = ExamplesPublisher.publish(kafka, TypedTopics.of(topics, serdes).examples(), all);
            System.out.printf("published %d example(s) to %s%n", n, topics.examples());
            return 0;
        }
    }
}
