package io.latentwatch.interp.lens.patchscope;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.interp.lens.AffineMap;
import io.latentwatch.interp.lens.ResidualDataset;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Affine maps between residual streams learned on paired activations (paper §4.4, cross-model patching:
 * "we learn an affine mapping between the hidden representations of the two models"): ridge regression in
 * closed form, y = W x + b minimising sum ||y_i - W x_i - b||^2 + lambda ||W||_F^2 (the bias is not penalised),
 * solved by Cholesky on the (d_in + 1)^2 normal equations in double precision.
 * Files: {@code map.safetensors} (weight [out, in], bias [out]) and {@code map.json}.
 */
public final class AffineMapFit {
    public static final String WEIGHTS = "map.safetensors", CONFIG = "map.json";

    /** The map with its goodness of fit: R^2 (1 - SSE/SST summed over output dims) on the fit and on held-out rows. */
    public record Fit(AffineMap map, double r2Train, double r2HeldOut, int rowsTrain, int rowsHeldOut) {}

    private AffineMapFit() {}

    public static AffineMap ridge(Tensor x, Tensor y, double lambda) {
        int n = x.dim(0), di = x.dim(1), dout = y.dim(1);
        if (y.dim(0) != n) throw new IllegalArgumentException("paired activations: " + n + " source rows vs " + y.dim(0) + " target rows");
        int k = di + 1;
        double[] a = new double[k * k], b = new double[k * dout];
        float[] xd = x.data(), yd = y.data();
        double[] row = new double[k];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < di; i++) row[i] = xd[r * di + i];
            row[di] = 1;
            for (int i = 0; i < k; i++) {
                double ri = row[i];
                for (int j = 0; j <= i; j++) a[i * k + j] += ri * row[j];
                for (int o = 0; o < dout; o++) b[i * dout + o] += ri * yd[r * dout + o];
            }
        }
        for (int i = 0; i < k; i++) for (int j = 0; j < i; j++) a[j * k + i] = a[i * k + j];
        for (int i = 0; i < di; i++) a[i * k + i] += lambda;
        double[] sol = choleskySolve(a, b, k, dout); // [k, dout]
        float[] w = new float[dout * di], bias = new float[dout];
        for (int o = 0; o < dout; o++) {
            for (int i = 0; i < di; i++) w[o * di + i] = (float) sol[i * dout + o];
            bias[o] = (float) sol[di * dout + o];
        }
        return new AffineMap(new Tensor(w, dout, di), new Tensor(bias, dout));
    }

    /** R^2 = 1 - sum ||y - f(x)||^2 / sum ||y - mean(y)||^2. */
    public static double r2(AffineMap f, Tensor x, Tensor y) {
        int n = x.dim(0), d = y.dim(1);
        double[] mean = new double[d];
        for (int r = 0; r < n; r++) for (int o = 0; o < d; o++) mean[o] += y.data()[r * d + o] / (double) n;
        double sse = 0, sst = 0;
        for (int r = 0; r < n; r++) {
            float[] p = f.apply(x.row(r));
            for (int o = 0; o < d; o++) {
                double t = y.data()[r * d + o];
                sse += (t - p[o]) * (t - p[o]);
                sst += (t - mean[o]) * (t - mean[o]);
            }
        }
        return 1 - sse / sst;
    }

    /**
     * Fits the map from the source model's residual layer to the target model's on the same prompts (both models
     * must tokenize them identically, as the zoo's two sizes do); every 5th prompt is held out for R^2.
     */
    public static Fit fit(HookedTransformer source, int sourceLayer, HookedTransformer target, int targetLayer,
                          List<String> prompts, double lambda) {
        List<int[]> train = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] a = source.toTokens(prompts.get(i)), b = target.toTokens(prompts.get(i));
            if (!Arrays.equals(a, b)) {
                throw new IllegalArgumentException("prompt " + i + " tokenizes differently in " + source.modelId() + " and " + target.modelId()
                        + ": paired activations need a shared vocabulary");
            }
            (i % 5 == 4 ? held : train).add(a);
        }
        if (held.isEmpty()) held = train;
        ResidualDataset sx = ResidualDataset.collect(source, train), tx = ResidualDataset.collect(target, train);
        AffineMap map = ridge(sx.residuals().get(sourceLayer), tx.residuals().get(targetLayer), lambda);
        ResidualDataset sh = ResidualDataset.collect(source, held), th = ResidualDataset.collect(target, held);
        return new Fit(map, r2(map, sx.residuals().get(sourceLayer), tx.residuals().get(targetLayer)),
                r2(map, sh.residuals().get(sourceLayer), th.residuals().get(targetLayer)), sx.size(), sh.size());
    }

    public static void save(Path dir, AffineMap map, Map<String, Object> meta) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(WEIGHTS), Map.of("weight", map.weight(), "bias", map.bias()), Map.of("format", "latentwatch-affine-map"), DType.F32);
        Map<String, Object> m = new LinkedHashMap<>(meta);
        m.put("format", "latentwatch-affine-map");
        m.put("in", map.in());
        m.put("out", map.out());
        m.put("formula", "y = weight @ x + bias (weight [out, in])");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(CONFIG).toFile(), m);
    }

    public static AffineMap load(Path dir) throws IOException {
        JsonNode c = config(dir);
        int in = c.path("in").asInt(), out = c.path("out").asInt();
        SafeTensors st = SafeTensors.open(dir.resolve(WEIGHTS));
        return new AffineMap(st.get("weight", out, in), st.get("bias", out));
    }

    public static JsonNode config(Path dir) throws IOException {
        Path c = dir.resolve(CONFIG);
        if (!Files.exists(c)) throw new IOException("affine map " + dir + ": missing " + CONFIG);
        if (!Files.exists(dir.resolve(WEIGHTS))) throw new IOException("affine map " + dir + ": missing " + WEIGHTS);
        return new ObjectMapper().readTree(c.toFile());
    }

    static double[] choleskySolve(double[] a, double[] b, int k, int m) {
        double[] l = new double[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * k + j];
                for (int p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p];
                if (i == j) {
                    if (s <= 0) throw new IllegalStateException("normal equations not positive definite (increase the ridge); pivot " + i);
                    l[i * k + i] = Math.sqrt(s);
                } else {
                    l[i * k + j] = s / l[j * k + j];
                }
            }
        }
        double[] x = b.clone();
        for (int c = 0; c < m; c++) {
            for (int i = 0; i < k; i++) {            // L z = b
                double s = x[i * m + c];
                for (int p = 0; p < i; p++) s -= l[i * k + p] * x[p * m + c];
                x[i * m + c] = s / l[i * k + i];
            }
            for (int i = k - 1; i >= 0; i--) {       // L^T x = z
                double s = x[i * m + c];
                for (int p = i + 1; p < k; p++) s -= l[p * k + i] * x[p * m + c];
                x[i * m + c] = s / l[i * k + i];
            }
        }
        return x;
    }
}
