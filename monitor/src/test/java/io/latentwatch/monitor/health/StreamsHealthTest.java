package io.latentwatch.monitor.health;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamsHealthTest {
    @Test
    void readyOnlyWhenRunningWithALiveThread() {
        assertTrue(StreamsHealth.of(State.RUNNING, 2, false).ready());
        assertTrue(StreamsHealth.of(State.RUNNING, 2, false).live());
        StreamsHealth noThread = StreamsHealth.of(State.RUNNING, 0, false);
        assertTrue(noThread.live());
        assertFalse(noThread.ready());
        for (State s : new State[] {State.CREATED, State.REBALANCING}) {
            assertTrue(StreamsHealth.of(s, 1, false).live(), s.name());
            assertFalse(StreamsHealth.of(s, 1, false).ready(), s.name());
        }
    }

    @Test
    void aDeadGlobalOrStreamThreadIsNeitherLiveNorReadyAndFatal() {
        for (State s : new State[] {State.PENDING_ERROR, State.ERROR}) {
            StreamsHealth h = StreamsHealth.of(s, 0, false);
            assertFalse(h.live(), s.name());
            assertFalse(h.ready(), s.name());
            assertTrue(StreamsHealth.fatal(s), s.name());
        }
        for (State s : new State[] {State.CREATED, State.RUNNING, State.REBALANCING, State.PENDING_SHUTDOWN, State.NOT_RUNNING}) {
            assertFalse(StreamsHealth.fatal(s), s.name());
        }
    }

    @Test
    void stoppingIsLiveWhenAskedForAndDeadOtherwise() {
        assertTrue(StreamsHealth.of(State.PENDING_SHUTDOWN, 1, true).live());
        assertFalse(StreamsHealth.of(State.PENDING_SHUTDOWN, 1, true).ready());
        assertFalse(StreamsHealth.of(State.NOT_RUNNING, 0, false).live());
    }

    @Test
    void everyStateIsMappedAndTheJsonSaysWhy() {
        for (State s : State.values()) {
            String json = StreamsHealth.of(s, 1, false).json();
            assertTrue(json.contains("\"state\":\"" + s.name() + "\""), json);
        }
        assertEquals("{\"live\":false,\"ready\":false,\"state\":\"ERROR\",\"liveThreads\":0,"
                + "\"reason\":\"a global or stream thread died; the process must be restarted\"}", StreamsHealth.of(State.ERROR, 0, false).json());
    }
}
