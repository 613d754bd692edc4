package absorb.model;

import absorb.AbsorbException;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's Jinja chat template, rendered as transformers' apply_chat_template renders it: trim_blocks and
 * lstrip_blocks on, {@code raise_exception}, {@code strftime_now}, Python's {@code json.dumps} behind
 * {@code tojson}, Python string methods ({@code s.startswith(...)}, {@code s.strip()}, ...), and the
 * {@code {% generation %}} block that marks assistant text for loss masks.
 */
public final class ChatTemplate {
    /** Marks the start and end of a {% generation %} block in the raw output; removed before returning. */
    private static final char GEN_START = '\uE000', GEN_END = '\uE001';

    private static final Set<String> STRING_METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip",
            "split", "rsplit", "upper", "lower", "title", "capitalize", "replace", "find", "count", "splitlines",
            "join", "isdigit", "isspace");
    private static final Pattern METHOD_CALL = Pattern.compile("\\.(" + String.join("|", STRING_METHODS) + ")\\(");

    /** The roles of the messages a chat template renders, as transformers' conversations name them. */
    public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    /** The rendered text and the character spans [start, end) of its {% generation %} blocks. */
    public record Rendered(String text, List<int[]> generationSpans) {}

    private final String source;
    private final Jinjava jinjava;
    private final String template;

    public ChatTemplate(String source) {
        this.source = source;
        this.template = normalize(source);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withMaxOutputSize(64L << 20)
                // Python's semantics where Jinjava offers them: True/False and Python reprs in output, Jinja's operator
                // precedence, iterating a dict yields its keys, dict-literal keys are expressions.
                .withLegacyOverrides(com.hubspot.jinjava.LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build());
        var ctx = jinjava.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException",
                String.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow",
                String.class));
        ctx.registerFilter(new ToJson());
        for (String m : STRING_METHODS) ctx.registerFilter(new StringMethod(m));
        ctx.registerFilter(new PythonPrint());
        ctx.registerTag(new GenerationTag());
    }

    public String source() {
        return source;
    }

    public boolean marksGenerations() {
        return source.matches("(?s).*\\{%-?\\s*generation\\s*-?%}.*");
    }

    /**
     * Renders {@code messages} (maps with at least role and content) with the template's variables:
     * add_generation_prompt, the special tokens (bos_token, eos_token, ...) and any {@code extra} ones.
     */
    public Rendered render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
            Map<String, Object> variables) {
        Map<String, Object> ctx = new HashMap<>(variables);
        ctx.put("messages", deepCopy(messages));
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.putIfAbsent("tools", null);
        ctx.putIfAbsent("documents", null);
        RAISED.remove();
        RenderResult result = jinjava.renderForResult(template, ctx);
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String raised = RAISED.get();
                RAISED.remove();
                if (raised != null) throw new AbsorbException("The chat template refused the conversation: " + raised);
                throw new AbsorbException("The chat template could not be rendered: " + e.getMessage() + " (line "
                        + e.getLineno() + ").");
            }
        }
        return extractSpans(result.getOutput());
    }

    private static Rendered extractSpans(String raw) {
        StringBuilder text = new StringBuilder(raw.length());
        List<int[]> spans = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == GEN_START) start = text.length();
            else if (c == GEN_END) {
                if (start >= 0 && text.length() > start) spans.add(new int[] {start, text.length()});
                start = -1;
            } else text.append(c);
        }
        return new Rendered(text.toString(), spans);
    }

    @SuppressWarnings("unchecked")
    private static Object deepCopy(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(String.valueOf(k), deepCopy(v)));
            return copy;
        }
        if (o instanceof Collection<?> c) {
            List<Object> copy = new ArrayList<>();
            c.forEach(v -> copy.add(deepCopy(v)));
            return copy;
        }
        return o;
    }

    /** A piece of template source: literal text, or a tag ({{ }}, {% %}, {# #}) with its whitespace modifiers. */
    private record Piece(String text, char kind, boolean stripBefore, boolean stripAfter, boolean keepBefore,
            boolean keepAfter) {
        boolean isTag() {
            return kind != 0;
        }
    }

    /**
     * Rewrites a Jinja template into the form Jinjava renders identically: whitespace control ({{- -}}, {%- -%}),
     * trim_blocks and lstrip_blocks are applied to the literal text here, as Jinja's lexer applies them, because
     * Jinjava ignores some of them; and Python string methods ({@code s.startswith('x')}), which Jinjava would look
     * up as Java methods, become filters ({@code s|py_startswith('x')}).
     */
    static String normalize(String src) {
        List<Piece> pieces = split(src);
        List<String> texts = new ArrayList<>();
        for (Piece p : pieces) texts.add(p.text());
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (!p.isTag()) continue;
            boolean block = p.kind() == '%' || p.kind() == '#';
            if (i > 0 && !pieces.get(i - 1).isTag()) {
                String before = texts.get(i - 1);
                if (p.stripBefore()) before = StringMethod.rstrip(before, null);
                else if (block && !p.keepBefore()) before = lstripBlock(before, i == 1);
                texts.set(i - 1, before);
            }
            if (i + 1 < pieces.size() && !pieces.get(i + 1).isTag()) {
                String after = texts.get(i + 1);
                if (p.stripAfter()) after = StringMethod.lstrip(after, null);
                else if (block && !p.keepAfter()) after = after.startsWith("\r\n") ? after.substring(2)
                        : after.startsWith("\n") ? after.substring(1) : after;
                texts.set(i + 1, after);
            }
        }
        StringBuilder out = new StringBuilder(src.length());
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (!p.isTag()) out.append(texts.get(i));
            else if (p.kind() == '#') continue;
            else if (p.kind() == '{' && !p.text().contains("{")) {
                // Printed values as Python prints them (True, not true). (Jinjava misreads a parenthesised dict
                // literal, so expressions with one are printed as they are.)
                out.append("{{ (").append(methodsAsFilters(p.text())).append(")|py_print }}");
            } else if (p.kind() == '{') {
                out.append("{{ ").append(methodsAsFilters(p.text())).append(" }}");
            } else {
                out.append("{% ").append(methodsAsFilters(p.text())).append(" %}");
            }
        }
        return out.toString();
    }

    /** lstrip_blocks: spaces and tabs between a line start and a block tag go, if nothing else is there. */
    private static String lstripBlock(String before, boolean atTemplateStart) {
        int k = before.length();
        while (k > 0 && (before.charAt(k - 1) == ' ' || before.charAt(k - 1) == '\t')) k--;
        boolean lineStart = k == 0 ? atTemplateStart : before.charAt(k - 1) == '\n';
        return lineStart ? before.substring(0, k) : before;
    }

    /** Splits template source into literal text and tags; a tag's text is its inside, without modifiers. */
    private static List<Piece> split(String src) {
        List<Piece> out = new ArrayList<>();
        int i = 0, n = src.length(), textStart = 0;
        while (i < n) {
            char kind = i + 1 < n && src.charAt(i) == '{' ? src.charAt(i + 1) : 0;
            if (kind != '{' && kind != '%' && kind != '#') {
                i++;
                continue;
            }
            if (i > textStart) out.add(new Piece(src.substring(textStart, i), (char) 0, false, false, false, false));
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int j = i + 2;
            while (j < n && !src.startsWith(close, j)) {
                char c = src.charAt(j);
                if (kind != '#' && (c == '\'' || c == '"')) {
                    j++;
                    while (j < n && src.charAt(j) != c) j += src.charAt(j) == '\\' ? 2 : 1;
                }
                j++;
            }
            if (j >= n) throw new AbsorbException("The chat template has an unclosed " + src.substring(i, i + 2) + " tag.");
            String inner = src.substring(i + 2, j);
            boolean stripBefore = inner.startsWith("-"), keepBefore = inner.startsWith("+");
            boolean stripAfter = inner.endsWith("-"), keepAfter = inner.endsWith("+");
            if (stripBefore || keepBefore) inner = inner.substring(1);
            if ((stripAfter || keepAfter) && !inner.isEmpty()) inner = inner.substring(0, inner.length() - 1);
            out.add(new Piece(inner.strip(), kind, stripBefore, stripAfter, keepBefore, keepAfter));
            i = j + 2;
            textStart = i;
        }
        if (textStart < n) out.add(new Piece(src.substring(textStart), (char) 0, false, false, false, false));
        return out;
    }

    /** Inside tag code, outside string literals: {@code .name(} becomes {@code |py_name(}. */
    private static String methodsAsFilters(String code) {
        StringBuilder out = new StringBuilder(code.length() + 16);
        int i = 0, n = code.length();
        while (i < n) {
            char c = code.charAt(i);
            if (c == '\'' || c == '"') {
                int j = i + 1;
                while (j < n && code.charAt(j) != c) j += code.charAt(j) == '\\' ? 2 : 1;
                j = Math.min(j + 1, n);
                out.append(code, i, j);
                i = j;
                continue;
            }
            Matcher m = METHOD_CALL.matcher(code).region(i, n);
            if (c == '.' && m.lookingAt()) {
                out.append("|py_").append(m.group(1)).append('(');
                i = m.end();
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** The message of the last raise_exception call on this thread (Jinjava wraps the exception itself). */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** {@code raise_exception(message)}: the template refuses its input. */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException(message);
    }

    /** {@code strftime_now(format)}: the current local time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> out.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> out.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> out.append(t.getYear());
                case 'y' -> out.append(String.format("%02d", t.getYear() % 100));
                case 'b' -> out.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> out.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> out.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'H' -> out.append(String.format("%02d", t.getHour()));
                case 'I' -> out.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> out.append(String.format("%02d", t.getMinute()));
                case 'S' -> out.append(String.format("%02d", t.getSecond()));
                case 'p' -> out.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> out.append(String.format("%03d", t.getDayOfYear()));
                case '%' -> out.append('%');
                default -> out.append('%').append(f);
            }
        }
        return out.toString();
    }

    /** Python's json.dumps (ensure_ascii off, ", " and ": " separators, optional indent), as transformers uses. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            int ind = indent instanceof Number num ? num.intValue() : -1;
            StringBuilder sb = new StringBuilder();
            dump(var, sb, ind, 0);
            return sb.toString();
        }

        static void dump(Object v, StringBuilder sb, int indent, int depth) {
            if (v == null) sb.append("null");
            else if (v instanceof Boolean b) sb.append(b ? "true" : "false");
            else if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                sb.append(d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16 ? String.format("%.1f", d) : Double.toString(d));
            } else if (v instanceof Number num) sb.append(num);
            else if (v instanceof Map<?, ?> m) {
                sb.append('{');
                int k = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(k++ == 0 ? "" : ",");
                    newline(sb, indent, depth + 1);
                    quote(String.valueOf(e.getKey()), sb);
                    sb.append(": ");
                    dump(e.getValue(), sb, indent, depth + 1);
                }
                if (k > 0) newline(sb, indent, depth);
                sb.append('}');
            } else if (v instanceof Collection<?> || v instanceof Object[]) {
                Collection<?> c = v instanceof Object[] arr ? Arrays.asList(arr) : (Collection<?>) v;
                sb.append('[');
                int k = 0;
                for (Object e : c) {
                    sb.append(k++ == 0 ? "" : ",");
                    newline(sb, indent, depth + 1);
                    dump(e, sb, indent, depth + 1);
                }
                if (k > 0) newline(sb, indent, depth);
                sb.append(']');
            } else quote(v.toString(), sb);
        }

        private static void newline(StringBuilder sb, int indent, int depth) {
            if (indent < 0) {
                if (sb.charAt(sb.length() - 1) == ',') sb.append(' ');
                return;
            }
            sb.append('\n').append(" ".repeat(indent * depth));
        }

        private static void quote(String s, StringBuilder sb) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }

    /** A Python str method as a filter: {@code s|py_startswith('x')} for {@code s.startswith('x')}. */
    static final class StringMethod implements Filter {
        private final String method;

        StringMethod(String method) {
            this.method = method;
        }

        @Override
        public String getName() {
            return "py_" + method;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (method.equals("join")) {
                String sep = var == null ? "" : var.toString();
                List<String> parts = new ArrayList<>();
                if (args.length > 0 && args[0] instanceof Collection<?> c) c.forEach(p -> parts.add(String.valueOf(p)));
                return String.join(sep, parts);
            }
            String s = var == null ? "" : var.toString();
            String a0 = args.length > 0 && args[0] != null ? args[0].toString() : null;
            return switch (method) {
                case "startswith" -> anyOf(args, s::startsWith);
                case "endswith" -> anyOf(args, s::endsWith);
                case "strip" -> rstrip(lstrip(s, a0), a0);
                case "lstrip" -> lstrip(s, a0);
                case "rstrip" -> rstrip(s, a0);
                case "split" -> split(s, a0, args.length > 1 ? ((Number) args[1]).intValue() : -1);
                case "rsplit" -> rsplit(s, a0, args.length > 1 ? ((Number) args[1]).intValue() : -1);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                case "title" -> title(s);
                case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
                case "replace" -> replace(s, a0, args.length > 1 ? String.valueOf(args[1]) : "",
                        args.length > 2 ? ((Number) args[2]).intValue() : -1);
                case "find" -> (long) s.indexOf(a0 == null ? "" : a0);
                case "count" -> count(s, a0 == null ? "" : a0);
                case "splitlines" -> splitlines(s);
                case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
                case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
                default -> throw new IllegalStateException(method);
            };
        }

        private static boolean anyOf(Object[] args, java.util.function.Predicate<String> test) {
            if (args.length == 0 || args[0] == null) return false;
            if (args[0] instanceof Collection<?> c) return c.stream().anyMatch(o -> test.test(String.valueOf(o)));
            return test.test(args[0].toString());
        }

        private static boolean stripped(char c, String chars) {
            return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
        }

        static String lstrip(String s, String chars) {
            int i = 0;
            while (i < s.length() && stripped(s.charAt(i), chars)) i++;
            return s.substring(i);
        }

        static String rstrip(String s, String chars) {
            int j = s.length();
            while (j > 0 && stripped(s.charAt(j - 1), chars)) j--;
            return s.substring(0, j);
        }

        static List<String> split(String s, String sep, int max) {
            List<String> out = new ArrayList<>();
            if (sep == null) {
                String rest = lstrip(s, null);
                while (!rest.isEmpty()) {
                    if (max >= 0 && out.size() == max) {
                        out.add(rest);
                        return out;
                    }
                    int k = 0;
                    while (k < rest.length() && !Character.isWhitespace(rest.charAt(k))) k++;
                    out.add(rest.substring(0, k));
                    rest = lstrip(rest.substring(k), null);
                }
                return out;
            }
            int from = 0;
            while (max < 0 || out.size() < max) {
                int k = s.indexOf(sep, from);
                if (k < 0) break;
                out.add(s.substring(from, k));
                from = k + sep.length();
            }
            out.add(s.substring(from));
            return out;
        }

        static List<String> rsplit(String s, String sep, int max) {
            if (sep == null || max < 0) return split(s, sep, max);
            List<String> out = new ArrayList<>();
            int end = s.length();
            while (out.size() < max) {
                int k = s.lastIndexOf(sep, end - sep.length());
                if (k < 0) break;
                out.add(0, s.substring(k + sep.length(), end));
                end = k;
            }
            out.add(0, s.substring(0, end));
            return out;
        }

        private static String title(String s) {
            StringBuilder sb = new StringBuilder();
            boolean prevLetter = false;
            for (char c : s.toCharArray()) {
                sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
                prevLetter = Character.isLetter(c);
            }
            return sb.toString();
        }

        private static String replace(String s, String old, String with, int max) {
            if (old == null) return s;
            if (max < 0) return s.replace(old, with);
            StringBuilder sb = new StringBuilder();
            int from = 0, done = 0;
            while (done < max) {
                int k = s.indexOf(old, from);
                if (k < 0) break;
                sb.append(s, from, k).append(with);
                from = k + old.length();
                done++;
                if (old.isEmpty()) break;
            }
            return sb.append(s.substring(from)).toString();
        }

        static List<String> splitlines(String s) {
            List<String> out = new ArrayList<>(List.of(s.split("\r\n|\r|\n", -1)));
            if (out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
            return out;
        }

        private static long count(String s, String sub) {
            if (sub.isEmpty()) return s.length() + 1L;
            long c = 0;
            for (int k = s.indexOf(sub); k >= 0; k = s.indexOf(sub, k + sub.length())) c++;
            return c;
        }
    }

    /** How Python's str() prints what a Jinja expression yields, where Java would print it differently. */
    static final class PythonPrint implements Filter {
        @Override
        public String getName() {
            return "py_print";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var instanceof Boolean b) return b ? "True" : "False";
            return var;
        }
    }

    /** {@code {% generation %}...{% endgeneration %}}: renders its body and marks it as assistant output. */
    static final class GenerationTag implements Tag {
        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder sb = new StringBuilder().append(GEN_START);
            for (Node child : tagNode.getChildren()) sb.append(child.render(interpreter).getValue());
            return sb.append(GEN_END).toString();
        }
    }
}
