package io.latentwatch.embedded;

import io.latentwatch.embedded.testing.TestTls;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded broker's SASL_SSL listener with a throwaway CA: SCRAM users created through the
 * Admin API by a PLAIN user, a SCRAM-SHA-512 producer and a SCRAM-SHA-256 consumer over TLS with
 * host-name verification, and a wrong password refused.
 */
class SaslSslBrokerIT {
    @TempDir Path tmp;

    static Map<String, Object> client(String bootstrap, TestTls tls, String mechanism, String user, String password) {
        Map<String, Object> c = new HashMap<>();
        c.put("bootstrap.servers", bootstrap);
        c.put("security.protocol", "SASL_SSL");
        c.put("sasl.mechanism", mechanism);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        c.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
        c.put("ssl.truststore.location", tls.trustStore().toString());
        c.put("ssl.truststore.password", tls.password());
        c.put("ssl.truststore.type", "PKCS12");
        return c;
    }

    @Test
    void scramAndPlainClientsWorkOverTlsAndAWrongPasswordIsRefused() throws Exception {
        TestTls tls = TestTls.create(tmp.resolve("tls"));
        String adminPw = UUID.randomUUID().toString();
        try (EmbeddedKafka kafka = EmbeddedKafka.startSaslSsl(new SaslSsl(tls.keyStore(), tls.password(), Map.of("admin", adminPw)), Map.of())) {
            String bootstrap = kafka.saslSslBootstrapServers();
            String p512 = UUID.randomUUID().toString(), p256 = UUID.randomUUID().toString();
            try (Admin admin = Admin.create(client(bootstrap, tls, "PLAIN", "admin", adminPw))) {
                admin.alterUserScramCredentials(List.of(
                        new UserScramCredentialUpsertion("producer", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), p512),
                        new UserScramCredentialUpsertion("consumer", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), p256)))
                        .all().get(30, TimeUnit.SECONDS);
                admin.createTopics(List.of(new NewTopic("locked", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            // SCRAM credentials reach the broker's cache through the metadata log: retry the first send briefly.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                try (KafkaProducer<String, String> p = new KafkaProducer<>(client(bootstrap, tls, "SCRAM-SHA-512", "producer", p512),
                        new StringSerializer(), new StringSerializer())) {
                    p.send(new ProducerRecord<>("locked", "k", "over SASL_SSL")).get(30, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof SaslAuthenticationException) || System.nanoTime() > deadline) throw e;
                    Thread.sleep(500);
                }
            }
            Map<String, Object> cc = client(bootstrap, tls, "SCRAM-SHA-256", "consumer", p256);
            cc.put("group.id", "g-" + UUID.randomUUID());
            cc.put("auto.offset.reset", "earliest");
            List<String> got = new ArrayList<>();
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cc, new StringDeserializer(), new StringDeserializer())) {
                c.subscribe(List.of("locked"));
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (got.isEmpty() && System.nanoTime() < until) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) got.add(r.value());
                }
            }
            assertEquals(List.of("over SASL_SSL"), got);

            Map<String, Object> wrong = client(bootstrap, tls, "SCRAM-SHA-512", "producer", "not-the-password");
            wrong.put("max.block.ms", "20000");
            try (KafkaProducer<String, String> p = new KafkaProducer<>(wrong, new StringSerializer(), new StringSerializer())) {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> p.send(new ProducerRecord<>("locked", "k", "refused")).get(30, TimeUnit.SECONDS));
                assertInstanceOf(SaslAuthenticationException.class, e.getCause(), e.toString());
                assertTrue(e.getCause().getMessage().contains("Authentication failed"), e.getCause().getMessage());
            }
        }
    }
}
