package io.latentwatch.interp.tensor;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NumPy's {@code .npy} format (version 1.0-3.0): a magic string, a header dict
 * ({@code descr}, {@code fortran_order}, {@code shape}) padded to 64 bytes, then the raw array.
 * Reads little-endian float32, float64 and float16 arrays in C order (widened to float32);
 * writes float32. {@link #readNpz} reads an {@code .npz} (a zip of {@code .npy} files, as
 * {@code numpy.savez} writes it; Gemma Scope's {@code params.npz}).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static Tensor read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Every array of an {@code .npz} archive, by name (without the {@code .npy} suffix), in archive order. */
    public static Map<String, Tensor> readNpz(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (e.isDirectory()) continue;
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                out.put(name, parse(zip.readAllBytes(), file + "!" + e.getName()));
            }
        }
        if (out.isEmpty()) throw new IOException(file + ": not an .npz archive (no arrays found; expected a zip of .npy files as numpy.savez writes)");
        return out;
    }

    static Tensor parse(byte[] bytes, String where) throws IOException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IOException(where + ": not a .npy file (missing the \\x93NUMPY magic)");
        }
        int major = bytes[6];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            start = 10;
        } else if (major == 2 || major == 3) {
            headerLen = b.getInt(8);
            start = 12;
        } else {
            throw new IOException(where + ": .npy format version " + major + " is not supported (1, 2 and 3 are)");
        }
        String header = new String(bytes, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, where, "descr");
        if ("True".equals(group(FORTRAN, header, where, "fortran_order"))) {
            throw new IOException(where + ": array is in Fortran order; save it in C order (numpy.ascontiguousarray) first");
        }
        String dims = group(SHAPE, header, where, "shape").trim();
        int[] shape = dims.isEmpty() ? new int[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        int n = (int) Tensor.numel(shape);
        int off = start + headerLen;
        ByteBuffer data = ByteBuffer.wrap(bytes, off, bytes.length - off).slice().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[n];
        switch (descr) {
            case "<f4" -> need(data, n * 4L, where).asFloatBuffer().get(v);
            case "<f8" -> {
                need(data, n * 8L, where);
                for (int i = 0; i < n; i++) v[i] = (float) data.getDouble(i * 8);
            }
            case "<f2" -> {
                need(data, n * 2L, where);
                v = Float16Codec.decode(DType.F16, data, n);
            }
            default -> throw new IOException(where + ": dtype '" + descr + "' is not supported; save the array as float32 "
                    + "(numpy: x.astype('<f4'))");
        }
        return new Tensor(v, shape.length == 0 ? new int[] {1} : shape);
    }

    private static ByteBuffer need(ByteBuffer data, long bytes, String where) throws IOException {
        if (data.remaining() < bytes) throw new IOException(where + ": truncated (" + data.remaining() + " data bytes, header implies " + bytes + ")");
        return data;
    }

    private static String group(Pattern p, String header, String where, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) throw new IOException(where + ": .npy header has no '" + key + "' (" + header.trim() + ")");
        return m.group(1);
    }

    /** Writes {@code t} as a little-endian float32 {@code .npy} (version 1.0), atomically. */
    public static void write(Path file, Tensor t) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        int[] s = t.shape();
        for (int i = 0; i < s.length; i++) shape.append(s[i]).append(s.length == 1 || i < s.length - 1 ? "," : "");
        shape.append(")");
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(10 + header.length() + t.size() * 4);
        out.write(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xff);
        out.write(header.length() >> 8);
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer body = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(t.data());
        out.write(body.array());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, out.toByteArray());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
