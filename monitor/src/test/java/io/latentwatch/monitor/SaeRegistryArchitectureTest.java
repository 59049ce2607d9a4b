package io.latentwatch.monitor;

import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.SaeVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry loads JumpReLU and gated versions, and refuses a record that names another architecture than its files. */
class SaeRegistryArchitectureTest {
    @TempDir Path tmp;

    @Test
    void loadsJumpReluAndGatedAndRefusesAMismatchedRecord() throws Exception {
        SyntheticTraffic traffic = new SyntheticTraffic(MonitorSaeArchitecturesIT.MODEL, 5);
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic);
        float[] resid = fx.rows(300, SaeFixture.RESID, traffic);
        float[] z = fx.rows(60, SaeFixture.HOOK_Z, traffic);
        SaeVersion jump, gated;
        try (SparseAutoencoder j = MonitorSaeArchitecturesIT.jumpRelu(resid); SparseAutoencoder g = MonitorSaeArchitecturesIT.gated(z)) {
            jump = fx.publish(j, resid, "1", List.of());
            gated = fx.publish(g, z, "1", List.of());
        }
        SaeRegistry reg = new SaeRegistry(Watchlist.empty());
        assertTrue(reg.apply(jump));
        assertTrue(reg.apply(gated));
        assertEquals("jumprelu", reg.versionRecord(jump.getModelId(), jump.getHook()).getArchitecture());
        SaeVersion lying = SaeVersion.newBuilder(fx.republish(jump, "2")).setArchitecture("topk").build();
        assertFalse(reg.apply(lying), "a record saying topk for JumpReLU files is refused");
        assertEquals("1", reg.versionRecord(jump.getModelId(), jump.getHook()).getVersion(), "the version in force stays");
    }
}
