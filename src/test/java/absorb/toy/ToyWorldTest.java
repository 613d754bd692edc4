package absorb.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.graphs.Graph;
import absorb.graphs.Walks;
import absorb.graphs.Words;
import absorb.model.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyWorldTest {
    @TempDir
    Path tmp;

    @Test
    void corpusIsDeterministic() {
        ToyWorld w = new ToyWorld(ToyWorld.Settings.defaults(64));
        for (long seed = 0; seed < 20; seed++) assertEquals(w.sequence(seed), w.sequence(seed));
        assertNotEquals(w.sequence(1), w.sequence(2));
        assertEquals(64, w.sequence(3).size());
    }

    @Test
    void walksNeverStepStraightBack() {
        SplittableRandom r = new SplittableRandom(1);
        ToyWorld w = new ToyWorld(ToyWorld.Settings.defaults(64));
        for (int k = 0; k < 50; k++) {
            Graph g = w.randomGraph(r);
            assertTrue(ToyWorld.connected(g), g.name());
            int[] walk = ToyWorld.walk(g, 100, r, false);
            for (int t = 1; t < walk.length; t++) assertTrue(g.adjacent(walk[t - 1], walk[t]));
            for (int t = 2; t < walk.length; t++) {
                if (g.neighbours()[walk[t - 1]].length > 1) assertNotEquals(walk[t - 2], walk[t], g.name());
            }
        }
    }

    @Test
    void pairSequencesAreNeighbourPairsAndTheirShareIsHonoured() {
        SplittableRandom r = new SplittableRandom(3);
        ToyWorld w = new ToyWorld(ToyWorld.Settings.defaults(64));
        for (int k = 0; k < 50; k++) {
            Graph g = w.randomGraph(r);
            int[] p = Walks.neighbourPairs(g, 101, r);
            assertEquals(100, p.length);
            for (int t = 0; t < p.length; t += 2) assertTrue(g.adjacent(p[t], p[t + 1]), g.name());
        }
        ToyWorld none = new ToyWorld(ToyWorld.Settings.defaults(64)), half = new ToyWorld(ToyWorld.Settings.defaults(64)
                .withPairShare(0.5));
        int[] counts = new int[ToyWorld.Kind.values().length];
        for (long seed = 0; seed < 2000; seed++) {
            assertNotEquals(ToyWorld.Kind.PAIRS, none.kind(seed));
            counts[half.kind(seed).ordinal()]++;
            // the share only decides which kind a sequence is: walks and the calendar are what the default world makes
            if (half.kind(seed) != ToyWorld.Kind.PAIRS) assertEquals(none.sequence(seed), half.sequence(seed));
        }
        assertEquals(1000, counts[ToyWorld.Kind.PAIRS.ordinal()], 80);
        assertEquals(100, counts[ToyWorld.Kind.CALENDAR.ordinal()], 40);
    }

    @Test
    void calendarSequencesFollowTheWeek() {
        ToyWorld w = new ToyWorld(new ToyWorld.Settings(30, 1.0, 0.0, false, 0.0));
        List<String> s = w.sequence(5);
        for (int t = 1; t < s.size(); t++) {
            assertEquals(Words.DAYS.get((Words.DAYS.indexOf(s.get(t - 1)) + 1) % 7), s.get(t));
        }
    }

    @Test
    void everyWordIsOneTokenOfTheWordLevelTokenizer() {
        WordTokenizer.write(tmp, ToyWorld.vocabulary());
        try (Tokenizer tok = Tokenizer.load(tmp)) {
            long[] ids = Words.tokenIds(tok, ToyWorld.vocabulary());
            assertEquals(ToyWorld.vocabulary().size(), ids.length);
            assertEquals(WordTokenizer.SPECIAL.size(), ids[0]);
            long[] withBos = tok.encode("apple bird");
            assertEquals(3, withBos.length);
            assertEquals((long) tok.bosId(), withBos[0]);
            assertEquals("apple bird", tok.decode(new long[] {ids[0], ids[1]}, true));
        }
    }
}
