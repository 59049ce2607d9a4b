package io.latentwatch.cli;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.service.TrainerService;
import io.latentwatch.trainer.service.TrainerSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code latentwatch trainer}: the trainer service (scheduled SAE and circuit refits, re-announcement, /health) until SIGTERM. */
@Command(name = "trainer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the trainer as a long-lived service until SIGTERM or Ctrl-C. On start it re-announces, on the compacted "
                + "sae-versions topic, every version in force in the artifact store (<artifacts>/<model>/<hook>/current.json) whose "
                + "key modelId|hook the topic has no record for (all of them with --reannounce). Then, every --every: an SAE refit for "
                + "--hook from the examples or hidden-states topic (when at least --min-new-examples records arrived), and with "
                + "--circuit-task a circuit-signature refit (SAE circuit identification, O'Neill & Bui 2024) from that task's POSITIVE "
                + "and NEGATIVE LabeledExamples on the examples topic. A candidate is published (artifact with SHA-256 in the store, "
                + "SaeVersion on the topic, then current.json) only when it passes its quality gates; otherwise the version in force "
                + "stays. GET /health answers with each schedule's runs, last result and last failure.",
                "Environment: LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_REGISTRY_URL, LATENTWATCH_TOPIC_PREFIX, and any Kafka client "
                        + "property as LATENTWATCH_KAFKA_<PROPERTY> (e.g. LATENTWATCH_KAFKA_SECURITY_PROTOCOL).",
                "Example: latentwatch trainer --model models/zoo-small --artifacts /var/lib/latentwatch/artifacts "
                        + "--hook blocks.1.hook_resid_post --source hidden-states --every 1h --circuit-task succession"})
public final class TrainerCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = {"--artifacts", "--store"}, required = true,
            description = "Artifact store shared with the monitors: <model>/<hook>/<version>/ with SHA-256, current.json")
    Path artifacts;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS, else localhost:9092)")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry URL (Apicurio, Confluent-compatible API) (default: $LATENTWATCH_REGISTRY_URL, "
            + "else http://localhost:8080)")
    String registry;

    @Option(names = "--source", defaultValue = "examples", description = "Data of the SAE refit: examples (LabeledExamples run through "
            + "the model) or hidden-states (sampled production traffic) (default: ${DEFAULT-VALUE})")
    String source;

    @Option(names = "--every", defaultValue = "6h", description = "Period between checks, e.g. 6h, 30m, 45s (default: ${DEFAULT-VALUE})")
    String every;

    @Option(names = "--min-new-examples", defaultValue = "100", description = "An SAE refit runs only when at least this many new "
            + "records arrived since the last one (default: ${DEFAULT-VALUE})")
    long minNew;

    @Option(names = "--max-examples", defaultValue = "100000", description = "At most this many new records per refit; the rest waits "
            + "(default: ${DEFAULT-VALUE})")
    long maxExamples;

    @Option(names = "--max-fvu", defaultValue = "0.2", description = "Quality gate of an SAE: fraction of variance unexplained at most "
            + "this (the other gates: L0 in [1, 64], dead fraction <= 0.5, CE increase <= 0.5 nats when measured, and better than "
            + "the version in force) (default: ${DEFAULT-VALUE})")
    double maxFvu;

    @Option(names = "--circuit-task", description = "Also refit the circuit signature of this task (LabeledExample.task) from its "
            + "POSITIVE and NEGATIVE examples; REFERENCE examples are the baseline's normal traffic")
    String circuitTask;

    @Option(names = "--circuit-layer", defaultValue = "1", description = "Attention layer whose heads the signature covers: the node "
            + "samples its blocks.L.attn.hook_z and publishes blocks.L.attn.hook_result (default: ${DEFAULT-VALUE})")
    int circuitLayer;

    @Option(names = "--circuit-every", description = "Period of the circuit refit (default: --every)")
    String circuitEvery;

    @Option(names = "--circuit-min-examples", defaultValue = "8", description = "New positive and new negative examples each that a "
            + "circuit refit needs (default: ${DEFAULT-VALUE})")
    int circuitMinExamples;

    @Option(names = "--reannounce", description = "Re-announce every version in force at start, even those the topic still has "
            + "(those it lacks are always re-announced)")
    boolean reannounce;

    @Option(names = "--health-host", defaultValue = "127.0.0.1", description = "Address of GET /health (default: ${DEFAULT-VALUE})")
    String healthHost;

    @Option(names = "--health-port", defaultValue = "8091", description = "Port of GET /health; 0 = any free port, -1 = none "
            + "(default: ${DEFAULT-VALUE})")
    int healthPort;

    @Mixin
    SaeTrainingMixin sae = new SaeTrainingMixin();

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        Duration period = RefitScheduler.parseDuration(every);
        Map<String, Object> kafka = KafkaConfig.withEnvironment(Map.of("bootstrap.servers",
                bootstrap != null ? bootstrap : KafkaConfig.bootstrapServers("localhost:9092")));
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(registry != null ? registry : KafkaConfig.registry("http://localhost:8080"));
        QualityGates d = QualityGates.defaults();
        QualityGates gates = new QualityGates(maxFvu, d.l0Min(), d.l0Max(), d.maxDeadFraction(), d.maxCeIncrease(), d.minFvuImprovement(),
                d.ceTolerance());
        TrainerSettings.SaeSchedule saeSchedule = new TrainerSettings.SaeSchedule(source, sae::config, sae.options(), sae.validationShare,
                gates, period, minNew, maxExamples);
        TrainerSettings.CircuitSchedule circuit = circuitTask == null ? null : new TrainerSettings.CircuitSchedule(circuitTask,
                circuitLayer, CircuitRefit.DEFAULT_GATES, circuitEvery == null ? period : RefitScheduler.parseDuration(circuitEvery),
                circuitMinExamples, maxExamples, sae.seed);
        TrainerSettings settings = new TrainerSettings(model, tokenizer, artifacts, kafka, serdes, Topics.fromEnvironment(),
                saeSchedule, circuit, reannounce, healthHost, healthPort);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: stop the schedulers (the version in force stays), close the producer, then exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }, "latentwatch-trainer-shutdown"));
        try (TrainerService t = TrainerService.start(settings)) {
            System.out.printf("latentwatch trainer: %s; re-announced %d version(s); schedules %s; health %s%n", t.modelId(),
                    t.reannounced().size(), t.schedulers().keySet(), t.healthUrl() == null ? "off" : t.healthUrl());
            stop.await();
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
