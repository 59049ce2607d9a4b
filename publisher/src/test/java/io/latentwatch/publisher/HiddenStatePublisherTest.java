package io.latentwatch.publisher;

import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HiddenStatePublisherTest {
    /** Serializer that is never called by MockProducer's value path in these tests. */
    private static final Serializer<HiddenStateSample> NO_SERIALIZER = (topic, s) -> new byte[0];

    @Test
    void publishesKeyedByModelAndCountsAcknowledgements() throws Exception {
        MockProducer<String, HiddenStateSample> mock = new MockProducer<>(true, null, new StringSerializer(), NO_SERIALIZER);
        SyntheticTraffic traffic = new SyntheticTraffic("m1", 1);
        try (HiddenStatePublisher pub = new HiddenStatePublisher(mock, "latentwatch.hidden-states", 16)) {
            for (int i = 0; i < 10; i++) assertTrue(pub.publish(traffic.normal()));
            assertTrue(pub.flush(Duration.ofSeconds(10)));
            assertEquals(10, pub.published());
            assertEquals(0, pub.dropped());
            assertEquals(0, pub.failed());
        }
        assertEquals(10, mock.history().size());
        assertEquals("m1", mock.history().get(0).key());
        assertEquals("latentwatch.hidden-states", mock.history().get(0).topic());
    }

    @Test
    void brokerErrorsAreCountedAsFailed() throws Exception {
        MockProducer<String, HiddenStateSample> mock = new MockProducer<>(false, null, new StringSerializer(), NO_SERIALIZER);
        SyntheticTraffic traffic = new SyntheticTraffic("m1", 2);
        try (HiddenStatePublisher pub = new HiddenStatePublisher(mock, "t", 16)) {
            pub.publish(traffic.normal());
            pub.publish(traffic.normal());
            while (mock.history().size() < 2) Thread.sleep(5);
            mock.completeNext();
            mock.errorNext(new TimeoutException("broker gone"));
            assertTrue(pub.flush(Duration.ofSeconds(10)));
            assertEquals(1, pub.published());
            assertEquals(1, pub.failed());
        }
    }

    /** A producer whose send() hangs until released, like one waiting on a full buffer. */
    private static final class StuckProducer extends MockProducer<String, HiddenStateSample> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        StuckProducer() { super(true, null, new StringSerializer(), NO_SERIALIZER); }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, HiddenStateSample> r, Callback cb) {
            entered.countDown();
            try { release.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            return super.send(r, cb);
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingTheCaller() throws Exception {
        StuckProducer stuck = new StuckProducer();
        SyntheticTraffic traffic = new SyntheticTraffic("m1", 3);
        int capacity = 8;
        HiddenStatePublisher pub = new HiddenStatePublisher(stuck, "t", capacity);
        try {
            assertTrue(pub.publish(traffic.normal()));
            stuck.entered.await(); // the sender holds one sample inside a blocked send()
            // The guard only fails the test instead of hanging it if publish() ever blocks.
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                for (int i = 0; i < capacity; i++) assertTrue(pub.publish(traffic.normal()));
                for (int i = 0; i < 5; i++) assertFalse(pub.publish(traffic.normal()));
            });
            assertEquals(5, pub.dropped());
            assertEquals(capacity, pub.queued());
            stuck.release.countDown();
            assertTrue(pub.flush(Duration.ofSeconds(10)));
            assertEquals(1 + capacity, pub.published());
        } finally {
            stuck.release.countDown();
            pub.close();
        }
        assertFalse(pub.publish(traffic.normal()), "a closed publisher drops");
        assertEquals(6, pub.dropped());
    }
}
