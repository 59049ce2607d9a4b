package io.latentwatch.interp.tensor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets}}, then raw little-endian data). F16 and BF16 tensors are
 * widened to F32 here, in Java: a BF16 NDArray aborts the JVM with libtorch 2.7.1 (DESIGN.md).
 * Errors name the file, the tensor and what was expected.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private final Path file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final ByteBuffer data;

    private record Entry(DType dtype, int[] shape, long begin, long end) {}

    private SafeTensors(Path file, Map<String, Entry> entries, Map<String, String> metadata, ByteBuffer data) {
        this.file = file;
        this.entries = entries;
        this.metadata = metadata;
        this.data = data;
    }

    /** Memory-maps a safetensors file and parses its header (data is read lazily per tensor). */
    public static SafeTensors open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new IOException(file + ": truncated safetensors file (" + size + " bytes, no header)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IOException(file + ": bad safetensors header length " + headerLen + " for a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, 8);
            JsonNode header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode t = e.getValue();
                DType dtype;
                try {
                    dtype = DType.fromSafetensors(t.get("dtype").asText());
                } catch (IllegalArgumentException ex) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "': " + ex.getMessage());
                }
                int[] shape = new int[t.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asInt();
                long begin = t.get("data_offsets").get(0).asLong();
                long end = t.get("data_offsets").get(1).asLong();
                long expected = Tensor.numel(shape) * dtype.bytes();
                if (end - begin != expected) {
                    throw new IOException(file + ": tensor '" + e.getKey() + "' shape " + Arrays.toString(shape)
                            + " " + dtype + " needs " + expected + " bytes but its offsets span " + (end - begin));
                }
                if (end > dataLen) {
                    throw new IOException(file + ": truncated: tensor '" + e.getKey() + "' ends at byte " + end
                            + " of the data section but the file holds only " + dataLen);
                }
                entries.put(e.getKey(), new Entry(dtype, shape, begin, end));
            }
            ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen).order(ByteOrder.LITTLE_ENDIAN);
            return new SafeTensors(file, entries, meta, mapped);
        }
    }

    public Path file() { return file; }

    public List<String> names() { return new ArrayList<>(entries.keySet()); }

    public boolean contains(String name) { return entries.containsKey(name); }

    public Map<String, String> metadata() { return metadata; }

    public int[] shape(String name) { return entry(name).shape.clone(); }

    public DType dtype(String name) { return entry(name).dtype; }

    /** The tensor as F32 (widened if stored as F16/BF16). */
    public Tensor get(String name) {
        Entry e = entry(name);
        return new Tensor(Float16Codec.decode(e.dtype, data.slice((int) e.begin, (int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN),
                (int) Tensor.numel(e.shape)), e.shape);
    }

    /** The tensor, checked against the expected shape: the error names file, tensor and both shapes. */
    public Tensor get(String name, int... expectedShape) throws IOException {
        Entry e = entry(name);
        if (!Arrays.equals(e.shape, expectedShape)) {
            throw new IOException(file + ": tensor '" + name + "' has shape " + Arrays.toString(e.shape)
                    + " but the config implies " + Arrays.toString(expectedShape));
        }
        return get(name);
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(file + ": no tensor named '" + name + "' (it has " + entries.size()
                    + " tensors, e.g. " + entries.keySet().stream().limit(5).toList() + ")");
        }
        return e;
    }

    /** Writes tensors (in map order) as a safetensors file, atomically (temp file + move). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, DType dtype) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype.safetensorsName());
            var shape = t.putArray("shape");
            for (int s : e.getValue().shape()) shape.add(s);
            long n = (long) e.getValue().size() * dtype.bytes();
            t.putArray("data_offsets").add(offset).add(offset + n);
            offset += n;
        }
        byte[] hdr = JSON.writeValueAsBytes(header);
        int pad = (8 - hdr.length % 8) % 8; // keep the data 8-byte aligned, as the reference writer does
        byte[] padded = Arrays.copyOf(hdr, hdr.length + pad);
        Arrays.fill(padded, hdr.length, padded.length, (byte) ' ');
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length);
            out.write(len.array());
            out.write(padded);
            for (Tensor t : tensors.values()) out.write(Float16Codec.encode(dtype, t.data()));
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of(), DType.F32);
    }
}
