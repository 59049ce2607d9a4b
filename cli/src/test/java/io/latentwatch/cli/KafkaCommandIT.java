package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code latentwatch kafka}: a reachable broker with the topics, printed address, clean stop. */
class KafkaCommandIT {

    @Test
    void startsABrokerWithTheTopicsPrintsItsAddressAndStopsCleanly() throws Exception {
        StringWriter buffer = new StringWriter();
        PrintWriter out = new PrintWriter(buffer, true);
        CommandLine cl = Main.commandLine();
        cl.setOut(out);
        cl.setErr(out);
        AtomicInteger rc = new AtomicInteger(-1);
        Thread command = new Thread(() -> rc.set(cl.execute("kafka", "--port", "0", "--topic-prefix", "kc.", "--duration", "2m")));
        command.start();

        Pattern bootstrap = Pattern.compile("bootstrap\\.servers=(\\S+)");
        String address = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (address == null && System.nanoTime() < deadline && command.isAlive()) {
            Matcher m = bootstrap.matcher(buffer.toString());
            address = m.find() ? m.group(1) : null;
            Thread.sleep(100);
        }
        assertNotNull(address, "no bootstrap address printed: " + buffer);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", address))) {
            Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertTrue(names.containsAll(Topics.withPrefix("kc.").all()), names.toString());
        }

        command.interrupt(); // what the duration or Ctrl-C would do: stop and clean up
        command.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(command.isAlive());
        assertEquals(0, rc.get(), buffer.toString());
        assertTrue(buffer.toString().contains("Kafka stopped."), buffer.toString());
    }
}
