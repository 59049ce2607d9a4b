package io.latentwatch.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import io.latentwatch.embedded.registry.ApicurioRegistryServer;
import io.latentwatch.common.KafkaConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code latentwatch registry}: the Apicurio Registry server with persistent KafkaSQL storage, until stopped. */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = {"Runs the schema registry: the real Apicurio Registry 3 server as a child process, with its "
                + "KafkaSQL storage on the given Kafka cluster (a journal topic kept forever), so schemas and their ids "
                + "survive restarts of the registry and of the broker and no id is ever reused.",
                "Java services take the base URL (--registry / $LATENTWATCH_REGISTRY_URL); clients in other languages "
                        + "use its Confluent-compatible API at <url>/apis/ccompat/v7, which serves the same ids the "
                        + "Java serdes write.",
                "The server's runner jar comes from --home, $" + ApicurioRegistryServer.HOME_ENV + " or the build "
                        + "(embedded/target/apicurio-registry; fetch it with " + ApicurioRegistryServer.FETCH_COMMAND + ").",
                "Runs until Ctrl-C or SIGTERM, which stop the server too.",
                "Example: latentwatch registry --bootstrap-servers 127.0.0.1:9092 --port 8081"})
public final class RegistryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka cluster holding the registry's journal (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "HTTP port of the registry. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--journal-topic", defaultValue = ApicurioRegistryServer.DEFAULT_JOURNAL_TOPIC,
            description = "Topic of the KafkaSQL journal (its snapshots go to <topic>-snapshots). Default: ${DEFAULT-VALUE}.")
    String journalTopic;

    @Option(names = "--home", paramLabel = "DIR", description = "Directory of an unpacked apicurio-registry-app distribution.")
    Path home;

    @Option(names = "--heap", defaultValue = "384m", description = "Maximum heap of the registry JVM. Default: ${DEFAULT-VALUE}.")
    String heap;

    @Option(names = "--log", paramLabel = "FILE", description = "Append the server's output to FILE (default: this terminal).")
    Path log;

    @Option(names = "--startup-timeout", defaultValue = "120s", description = "How long to wait for the server to be ready. Default: ${DEFAULT-VALUE}.")
    Duration startupTimeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path jar = ApicurioRegistryServer.locateRunnerJar(home, System.getenv(), Path.of("").toAbsolutePath());
        ApicurioRegistryServer.Settings settings = new ApicurioRegistryServer.Settings(jar, KafkaConfig.bootstrapServers(bootstrap),
                host, port, journalTopic, heap, log);
        long t0 = System.nanoTime();
        ApicurioRegistryServer server = ApicurioRegistryServer.start(settings, startupTimeout);
        // Ctrl-C / SIGTERM: stop the child before this JVM exits, so no registry is left behind.
        Thread hook = new Thread(server::close, "latentwatch-registry-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.printf("Apicurio Registry ready in %d ms (pid %d, KafkaSQL journal %s on %s)%n", (System.nanoTime() - t0) / 1_000_000,
                server.pid(), settings.journalTopic(), settings.bootstrapServers());
        out.printf("registry.url=%s%n", server.baseUrl());
        out.printf("confluent.api=%s%n", server.confluentApiUrl());
        out.println("Press Ctrl-C to stop.");
        out.flush();
        int rc;
        try {
            rc = server.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            return 0;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return 0;
        }
        spec.commandLine().getErr().println("The registry server exited with " + rc + (log != null ? ": see " + log : ""));
        return rc == 0 ? 1 : rc;
    }
}
