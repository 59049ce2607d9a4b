package io.latentwatch.trainer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

class TopicSliceTest {
    @Test
    void fairShareSplitsTheBudgetEquallyCappedByEachPartitionsLag() {
        assertArrayEquals(new long[]{7, 7, 6}, TopicSlice.fairShare(new long[]{10, 10, 10}, 20));
        assertArrayEquals(new long[]{2, 19, 19}, TopicSlice.fairShare(new long[]{2, 50, 50}, 40));
        assertArrayEquals(new long[]{0, 5}, TopicSlice.fairShare(new long[]{0, 5}, 100));
        // Properties on random cases: the total is min(budget, total lag), nobody exceeds its lag, and
        // max-min fairness: a partition left short has at least as much as any other, minus one.
        Random r = new Random(4);
        for (int c = 0; c < 500; c++) {
            long[] lag = LongStream.range(0, 1 + r.nextInt(6)).map(i -> r.nextInt(4) == 0 ? 0 : r.nextInt(1000)).toArray();
            long max = 1 + r.nextInt(3000);
            long[] take = TopicSlice.fairShare(lag, max);
            assertEquals(Math.min(max, LongStream.of(lag).sum()), LongStream.of(take).sum());
            long most = LongStream.of(take).max().orElse(0);
            for (int i = 0; i < lag.length; i++) {
                assertTrue(take[i] >= 0 && take[i] <= lag[i]);
                if (take[i] < lag[i]) assertTrue(take[i] >= most - 1, Arrays.toString(lag) + " " + max + " -> " + Arrays.toString(take));
            }
        }
    }
}
