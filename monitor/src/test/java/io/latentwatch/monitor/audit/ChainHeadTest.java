package io.latentwatch.monitor.audit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChainHeadTest {
    @Test
    void storedFormRoundTripsAndMatchesWhatReleasedMonitorsWrote() {
        ChainHead h = ChainHead.parse("41|ab12");
        assertEquals(41, h.sequence());
        assertEquals("ab12", h.hash());
        assertEquals("41|ab12", h.encode());
        assertEquals(new ChainHead(42, "cd34"), h.next("cd34"));
    }

    @Test
    void malformedHeadsAreRejectedWithTheValue() {
        for (String bad : new String[] {"", "|x", "x|y", "12", "-1|ab"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChainHead.parse(bad));
            assertEquals(true, e.getMessage().contains("chain"), e.getMessage());
        }
    }
}
