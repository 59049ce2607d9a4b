package io.latentwatch.trainer;

import io.latentwatch.interp.circuits.HeadCodeSignature;
import io.latentwatch.interp.circuits.HeadId;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;

import java.util.ArrayList;
import java.util.List;

/** Converts interp's {@link HeadCodeSignature} to and from the Avro contract {@link CircuitSignature} (interp stays Avro-free). */
public final class CircuitSignatures {
    private CircuitSignatures() {}

    public static CircuitSignature toAvro(HeadCodeSignature s) {
        List<HeadCode> heads = new ArrayList<>();
        for (HeadCodeSignature.HeadCodes h : s.heads()) {
            List<Integer> codes = new ArrayList<>();
            for (int c : h.codes()) codes.add(c);
            heads.add(HeadCode.newBuilder().setLayer(h.head().layer()).setHead(h.head().head()).setCodes(codes).setScore(h.score()).build());
        }
        return CircuitSignature.newBuilder().setName(s.name()).setHeads(heads).setMinMatchedHeads(s.minMatchedHeads()).build();
    }

    public static HeadCodeSignature fromAvro(CircuitSignature a) {
        List<HeadCodeSignature.HeadCodes> heads = new ArrayList<>();
        for (HeadCode h : a.getHeads()) {
            heads.add(new HeadCodeSignature.HeadCodes(new HeadId(h.getLayer(), h.getHead()),
                    h.getCodes().stream().mapToInt(Integer::intValue).toArray(), h.getScore()));
        }
        return new HeadCodeSignature(a.getName().toString(), heads, a.getMinMatchedHeads());
    }
}
