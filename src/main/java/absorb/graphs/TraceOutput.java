package absorb.graphs;

import absorb.io.AtomicFile;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;

/** Writes a graph-tracing run's folder: config.json, sequences.json and metrics.json. */
public final class TraceOutput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TraceOutput() {}

    public static void write(GraphTrace.Result r, Path dir) {
        ObjectNode config = r.config().toJson();
        ArrayNode assigned = config.putArray("assigned_words");
        r.words().forEach(assigned::add);
        AtomicFile.writeString(dir.resolve("config.json"), config.toPrettyString());
        AtomicFile.writeJson(dir.resolve("sequences.json"), sequences(r), false);
        AtomicFile.writeJson(dir.resolve("metrics.json"), metrics(r), true);
    }

    static ObjectNode sequences(GraphTrace.Result r) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode ids = o.putArray("token_ids"), nodes = o.putArray("nodes");
        for (int b = 0; b < r.tokenIds().length; b++) {
            ArrayNode row = ids.addArray(), nrow = nodes.addArray();
            for (long id : r.tokenIds()[b]) row.add(id);
            for (int v : r.nodes()[b]) nrow.add(v);
        }
        return o;
    }

    public static ObjectNode metrics(GraphTrace.Result r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("graph", r.graph().name());
        o.put("nodes", r.graph().size());
        ArrayNode edges = o.putArray("edges");
        for (int[] e : r.graph().edges()) edges.addArray().add(e[0]).add(e[1]);
        ArrayNode words = o.putArray("words");
        r.words().forEach(words::add);
        o.put("window", r.config().window());
        ObjectNode acc = o.putObject("accuracy");
        ints(acc.putArray("positions"), r.positions());
        doubles(acc.putArray("full_vocab"), r.accuracyFull());
        doubles(acc.putArray("graph_words"), r.accuracyGraph());
        doubles(acc.putArray("mse_uniform_neighbours"), r.mseUniform());
        acc.put("chance_graph_words", r.chance());
        acc.put("definition", "mean over the batch of the probability the next-token distribution computed at each"
                + " position puts on the valid next words (the neighbours of the word at that position); full_vocab:"
                + " softmax over the whole vocabulary, graph_words: softmax over the graph's words only;"
                + " mse_uniform_neighbours (the study's): mean over the n graph words of (p(v) - [v a neighbour] / degree)^2,"
                + " p the graph-words distribution, mean over the batch");
        ObjectNode energy = o.putObject("energy"), pca = o.putObject("pca"), snaps = o.putObject("snapshots");
        for (Map.Entry<String, GraphTrace.HookMeasures> e : r.hooks().entrySet()) {
            GraphTrace.HookMeasures m = e.getValue();
            ObjectNode en = energy.putObject(e.getKey());
            ints(en.putArray("positions"), m.positions());
            doubles(en.putArray("normalized"), m.energyNormalized());
            doubles(en.putArray("paper"), m.energyPaper());
            doubles(en.putArray("raw"), m.energyRaw());
            ObjectNode p = pca.putObject(e.getKey());
            ints(p.putArray("positions"), m.positions());
            ArrayNode ex = p.putArray("explained_variance");
            for (double[] row : m.explained()) doubles(ex.addArray(), row);
            doubles(p.putArray("spectral_r2"), m.spectralR2());
            ints(p.putArray("words_seen"), m.wordsSeen());
            ObjectNode s = snaps.putObject(e.getKey());
            m.snapshots().forEach((pos, coords) -> {
                ArrayNode rows = s.putArray(String.valueOf(pos));
                for (double[] c : coords) {
                    if (c == null) rows.addNull();
                    else doubles(rows.addArray(), c);
                }
            });
        }
        o.put("energy_definition", "Dirichlet energy sum over edges (i,j) of ||x_i - x_j||^2 of the word means over the"
                + " last `window` positions (pooled over the batch); normalized: means centred and scaled to unit"
                + " Frobenius norm; paper (the study's notebooks): means scaled to unit Frobenius norm without centring,"
                + " divided by the dimension; raw: as they are");
        o.put("energy_used", r.config().conventions().energy().equals("paper") ? "paper" : "normalized");
        o.put("window_convention", r.config().conventions().window().equals("paper") ? "[t - window, t], window + 1"
                + " positions (the study's)" : "(t - window, t], window positions");
        o.put("spectral_r2_definition", "R^2 of the least-squares affine map from the first two principal components of"
                + " the word means to the graph's two Laplacian eigenvectors with the smallest non-zero eigenvalues");
        ObjectNode spectral = o.putObject("spectral");
        doubles(spectral.putArray("eigenvalues"), r.laplacianEigenvalues());
        ArrayNode emb = spectral.putArray("embedding");
        for (double[] row : r.spectralEmbedding()) doubles(emb.addArray(), row);
        ObjectNode crit = o.putObject("critical_context");
        crit.put("method", r.critical().method());
        crit.put("measure", r.critical().measure());
        crit.put("t_star", r.critical().tStar());
        crit.put("accuracy_before", r.critical().accuracyBefore());
        crit.put("accuracy_after", r.critical().accuracyAfter());
        crit.put("t_break_two_piece_linear", r.critical().tBreak());
        crit.put("t_reach_" + GraphTrace.CriticalContext.REACH, r.critical().tReach());
        return o;
    }

    static void ints(ArrayNode a, int[] v) {
        for (int x : v) a.add(x);
    }

    static void doubles(ArrayNode a, double[] v) {
        for (double x : v) {
            if (Double.isNaN(x) || Double.isInfinite(x)) a.addNull();
            else a.add(x);
        }
    }
}
