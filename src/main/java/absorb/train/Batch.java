package absorb.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rows of token ids for one forward pass: {@code padding} marks real tokens, {@code segments} (packed rows only)
 * numbers the sequence each token belongs to, {@code target} marks the tokens the model is trained to predict.
 */
public record Batch(long[][] ids, boolean[][] padding, int[][] segments, boolean[][] target) {

    /** Number of tokens trained on. */
    public int targets() {
        int n = 0;
        for (boolean[] row : target) for (boolean t : row) if (t) n++;
        return n;
    }

    /** Real (non-padding) tokens. */
    public int tokens() {
        int n = 0;
        for (boolean[] row : padding) for (boolean t : row) if (t) n++;
        return n;
    }

    /** Examples as right-padded rows as long as the longest. */
    public static Batch padded(List<TrainingData.Example> examples, long padId) {
        int width = examples.stream().mapToInt(e -> e.ids().length).max().orElse(0);
        int rows = examples.size();
        long[][] ids = new long[rows][width];
        boolean[][] padding = new boolean[rows][width];
        boolean[][] target = new boolean[rows][width];
        for (int b = 0; b < rows; b++) {
            TrainingData.Example e = examples.get(b);
            Arrays.fill(ids[b], padId);
            System.arraycopy(e.ids(), 0, ids[b], 0, e.ids().length);
            for (int t = 0; t < e.ids().length; t++) padding[b][t] = true;
            System.arraycopy(e.target(), 0, target[b], 0, e.target().length);
        }
        return new Batch(ids, padding, null, target);
    }

    /**
     * Examples packed into rows of {@code width} tokens, first fit in the given order: each row holds whole
     * examples, each a segment of its own (attention stays within a segment), the rest padding.
     */
    public static List<Batch> packed(List<TrainingData.Example> examples, int width, int rowsPerBatch, long padId) {
        List<List<TrainingData.Example>> rows = new ArrayList<>();
        List<Integer> used = new ArrayList<>();
        for (TrainingData.Example e : examples) {
            int r = 0;
            while (r < rows.size() && used.get(r) + e.ids().length > width) r++;
            if (r == rows.size()) {
                rows.add(new ArrayList<>());
                used.add(0);
            }
            rows.get(r).add(e);
            used.set(r, used.get(r) + e.ids().length);
        }
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < rows.size(); start += rowsPerBatch) {
            List<List<TrainingData.Example>> group = rows.subList(start, Math.min(rows.size(), start + rowsPerBatch));
            int w = group.stream().mapToInt(g -> g.stream().mapToInt(e -> e.ids().length).sum()).max().orElse(0);
            long[][] ids = new long[group.size()][w];
            boolean[][] padding = new boolean[group.size()][w];
            boolean[][] target = new boolean[group.size()][w];
            int[][] segments = new int[group.size()][w];
            for (int b = 0; b < group.size(); b++) {
                Arrays.fill(ids[b], padId);
                Arrays.fill(segments[b], -1);
                int t = 0, seg = 0;
                for (TrainingData.Example e : group.get(b)) {
                    for (int k = 0; k < e.ids().length; k++, t++) {
                        ids[b][t] = e.ids()[k];
                        padding[b][t] = true;
                        target[b][t] = e.target()[k];
                        segments[b][t] = seg;
                    }
                    seg++;
                }
            }
            batches.add(new Batch(ids, padding, segments, target));
        }
        return batches;
    }
}
