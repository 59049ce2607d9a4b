package io.latentwatch.chaos;

import java.util.List;
import java.util.Map;

/**
 * What one traffic run left: the node's sample counters (deltas over the run), the hidden-states records the monitors
 * processed, the alerts and explanations it wrote, the ground truth, and when its fault started and ended (0 for the
 * reference run) and how long the monitors took to process again on every partition after it.
 *
 * @param sampled     samples the node captured (one per sampled request and hook)
 * @param accepted    samples taken into the publisher's queue
 * @param dropped     samples dropped and counted (queue full, or failed to send after the producer's retries)
 * @param published   samples the broker acknowledged
 * @param processed   hidden-states records the monitors' group committed as processed during the run
 * @param recoveryMs  from the fault's start until every partition with pending samples was processed again (-1: never)
 */
public record RunOutcome(long sampled, long accepted, long dropped, long published, long processed, List<TopicRecords.Item> alerts,
                         List<TopicRecords.Item> explanations, GroundTruth truth, long faultStartMs, long faultEndMs, long recoveryMs,
                         Map<String, Object> faultFacts) {}
