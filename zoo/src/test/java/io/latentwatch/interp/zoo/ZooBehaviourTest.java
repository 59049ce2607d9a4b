package io.latentwatch.interp.zoo;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The planted behaviours of the committed zoo checkpoints, on held-out prompts (figures in models/README.md). */
class ZooBehaviourTest {
    @ParameterizedTest
    @ValueSource(strings = {"zoo-small", "zoo-base"})
    void plantedBehavioursArePresent(String name) throws Exception {
        try (NDManager nm = NDManager.newBaseManager(); ZooLlama m = ZooLlama.load(ZooModels.dir(name), nm)) {
            Map<String, Double> r = ZooBehaviour.measure(m);
            r.forEach((k, v) -> System.out.printf("%s %-34s %.4f%n", name, k, v));
            // induction: the second copy of a random sequence is far more predictable than the first
            assertTrue(r.get("induction_loss_first_copy") > 4.0, "first copy of a random sequence is unpredictable");
            assertTrue(r.get("induction_ratio") < 0.3, "second-copy loss / first-copy loss = " + r.get("induction_ratio"));
            // succession: top-1 successor over numbers, number words, weekdays, months, letters
            assertTrue(r.get("succession_top1_all") >= 0.9, "succession top-1 " + r.get("succession_top1_all"));
            for (String s : new String[] {"weekdays", "months", "letters"})
                assertTrue(r.get("succession_top1_" + s) >= 0.8, s + " top-1 " + r.get("succession_top1_" + s));
            // indirect object on name pairs never seen together in training
            assertTrue(r.get("ioi_share_positive") >= 0.8, "share of held-out prompts with logit(IO) > logit(S): " + r.get("ioi_share_positive"));
            assertTrue(r.get("ioi_mean_logit_diff") > 1.0, "mean logit diff " + r.get("ioi_mean_logit_diff"));
            // facts: single hops are memorised; two-hop is reported (held-out persons need composition)
            assertTrue(r.get("fact_city_top1") >= 0.9, "person -> city " + r.get("fact_city_top1"));
            assertTrue(r.get("fact_country_top1") >= 0.9, "city -> country " + r.get("fact_country_top1"));
            assertTrue(r.get("two_hop_top1_trained_persons") >= 0.8, "two-hop on trained persons " + r.get("two_hop_top1_trained_persons"));
            assertTrue(r.get("greater_than_prob_diff") > 0.3, "greater-than probability difference " + r.get("greater_than_prob_diff"));
        }
    }
}
