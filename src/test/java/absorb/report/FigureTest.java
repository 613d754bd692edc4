package absorb.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Figures as files: their sizes, their SVG read back as XML, where the legend and the labels went. */
class FigureTest {
    @TempDir
    Path tmp;

    private static final double[] POSITIONS = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    private static final double[] RISING = {0.05, 0.07, 0.12, 0.2, 0.35, 0.55, 0.75, 0.88, 0.93};

    private static Plot accuracy() {
        return new Plot("Rule-following accuracy on grid:4x4, at the next-token output")
                .x("context position (tokens, log scale)", Plot.Scale.LOG).y("p(valid next word)", Plot.Scale.LINEAR)
                .yRange(0, 1)
                .line("whole vocabulary", POSITIONS, RISING, Plot.Style.of(Palette.BLACK))
                .line("graph words only", POSITIONS, RISING, Plot.Style.of(Palette.GREY))
                .vertical(20, "t* = 20").horizontal(0.19, "chance 0.19");
    }

    @Test
    void writesPngAtTwiceItsSizeAndSvgAtItsSize() throws Exception {
        byte[] png = Figure.of(accuracy()).write(tmp.resolve("accuracy"));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(tmp.resolve("accuracy.png"))));
        assertEquals(2 * Figure.WIDTH, image.getWidth());
        assertEquals(2 * Figure.HEIGHT, image.getHeight());
        assertEquals(Figure.WIDTH, Figure.displayWidth(png));
        Document svg = parse(tmp.resolve("accuracy.svg"));
        assertEquals(String.valueOf(Figure.WIDTH), svg.getDocumentElement().getAttribute("width"));
        List<String> texts = texts(svg);
        assertTrue(texts.contains("Rule-following accuracy on grid:4x4, at the next-token output"), texts.toString());
        for (String label : List.of("1", "2", "5", "10", "20", "50", "100", "200")) {
            assertTrue(texts.contains(label), "the log axis labels " + label + ": " + texts);
        }
        assertTrue(texts.contains("t* = 20") && texts.contains("chance 0.19"));
    }

    @Test
    void panelsSideBySide() throws Exception {
        Figure f = Figure.row(400, 300, accuracy(), accuracy());
        assertEquals(800, f.width());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(f.png()));
        assertEquals(1600, image.getWidth());
        assertEquals(600, image.getHeight());
    }

    /** A rising curve leaves the upper left free for the legend; curves through every corner send it outside. */
    @Test
    void legendSitsInAFreeCornerOrOutside() {
        assertTrue(accuracy().legendInside(Figure.WIDTH, Figure.HEIGHT));
        double[] x = {1, 10, 100, 1, 100}, y = {0, 1, 0, 0, 1};
        Plot zigzag = new Plot("everywhere").x("x", Plot.Scale.LOG).y("y", Plot.Scale.LINEAR)
                .line("a", x, y, Plot.Style.of(Palette.BLUE)).line("b", x, new double[] {1, 0, 1, 1, 0}, Plot.Style.of(Palette.GREEN));
        assertFalse(zigzag.legendInside(Figure.WIDTH, Figure.HEIGHT));
    }

    /** In the SVG, no word label of a crowded scatter overlaps any marker. */
    @Test
    void labelsSitBesideTheirMarkers() throws Exception {
        java.util.Random rnd = new java.util.Random(1);
        int n = 16;
        double[][] xy = new double[n][];
        List<String> words = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            xy[i] = new double[] {rnd.nextGaussian(), rnd.nextGaussian()};
            words.add(List.of("apple", "bird", "car", "egg", "book", "milk", "sand", "code").get(i % 8) + i);
        }
        Plot p = new Plot("Word means on PC1-2").x("PC1", Plot.Scale.LINEAR).y("PC2", Plot.Scale.LINEAR)
                .edges(xy, new int[][] {{0, 1}, {1, 2}, {2, 3}}, Palette.LIGHT_GREY, 1)
                .labelledPoints(xy, words, java.util.Collections.nCopies(n, Palette.BLUE), 4.2);
        Figure.of(p, Figure.WIDTH, 440).write(tmp.resolve("pca"));
        Document svg = parse(tmp.resolve("pca.svg"));
        List<Placement.Box> markers = new ArrayList<>();
        NodeList circles = svg.getElementsByTagName("circle");
        for (int i = 0; i < circles.getLength(); i++) {
            Element c = (Element) circles.item(i);
            double cx = d(c, "cx"), cy = d(c, "cy"), r = d(c, "r");
            markers.add(new Placement.Box(cx - r, cy - r, 2 * r, 2 * r));
        }
        assertEquals(n, markers.size());
        NodeList ts = svg.getElementsByTagName("text");
        int labels = 0;
        for (int i = 0; i < ts.getLength(); i++) {
            Element t = (Element) ts.item(i);
            if (!words.contains(t.getTextContent())) continue;
            labels++;
            double size = d(t, "font-size");
            Placement.Box box = new Placement.Box(d(t, "x"), d(t, "y") - Canvas.Text.ascent(size),
                    Canvas.Text.width(t.getTextContent(), size, false), Canvas.Text.height(size));
            for (Placement.Box m : markers) assertEquals(0, box.overlap(m), 1e-6, t.getTextContent() + " over a marker");
        }
        assertEquals(n, labels);
    }

    /** Category names too long to stand side by side along x take rows in turn, and none overlaps another. */
    @Test
    void crowdedCategoryNamesDoNotOverlap() throws Exception {
        List<String> groups = List.of("no news", "ICL", "options only", "naive", "naive-shadowed", "paraphrase",
                "paraphrase-shadowed", "implication", "implication-shadowed", "self-qa", "self-qa-shadowed");
        double[] v = new double[groups.size()];
        java.util.Arrays.fill(v, 0.5);
        BarCharts.grouped("Accuracy", "accuracy", groups, List.of(new BarCharts.Bars("accuracy", v, null)))
                .write(tmp.resolve("bars"));
        Document svg = parse(tmp.resolve("bars.svg"));
        NodeList ts = svg.getElementsByTagName("text");
        List<Placement.Box> boxes = new ArrayList<>();
        for (int i = 0; i < ts.getLength(); i++) {
            Element t = (Element) ts.item(i);
            if (!groups.contains(t.getTextContent())) continue;
            double size = d(t, "font-size"), w = Canvas.Text.width(t.getTextContent(), size, false);
            double x = d(t, "x") - ("middle".equals(t.getAttribute("text-anchor")) ? w / 2 : 0);
            boxes.add(new Placement.Box(x, d(t, "y") - Canvas.Text.ascent(size), w, Canvas.Text.height(size)));
        }
        assertEquals(groups.size(), boxes.size());
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                assertEquals(0, boxes.get(i).overlap(boxes.get(j)), 1e-6, groups.get(i) + " over " + groups.get(j));
            }
        }
        assertTrue(boxes.get(1).y() > boxes.get(0).y(), "the second name on the lower row");
    }

    private static double d(Element e, String attribute) {
        return Double.parseDouble(e.getAttribute(attribute));
    }

    private static Document parse(Path svg) throws Exception {
        String text = Files.readString(svg, StandardCharsets.UTF_8);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> texts(Document d) {
        List<String> out = new ArrayList<>();
        NodeList ts = d.getElementsByTagName("text");
        for (int i = 0; i < ts.getLength(); i++) out.add(ts.item(i).getTextContent());
        return out;
    }
}
