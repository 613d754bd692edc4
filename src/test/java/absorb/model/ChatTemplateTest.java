package absorb.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import absorb.AbsorbException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Jinja features chat templates use, against what transformers' renderer (Jinja2 with trim_blocks and
 * lstrip_blocks) produced for the same templates and messages.
 */
class ChatTemplateTest {
    private static final List<Map<String, Object>> MESSAGES = List.of(
            Map.of("role", "user", "content", " Hello world?"),
            Map.of("role", "assistant", "content", "Good to go"),
            Map.of("role", "user", "content", "Why?"));

    private static String render(String template) {
        return new ChatTemplate(template).render(MESSAGES, true, Map.of("bos_token", "<s>")).text();
    }

    @Test
    void whitespaceControlMatchesJinja() {
        assertEquals("<s>[ Hello world?][Good to go][Why?]", render("{{- bos_token }}\n{%- for m in messages %}\n"
                + "    {%- if true %}\n        {{- '[' + m.content + ']' }}\n    {%- endif %}\n{%- endfor %}\n"));
        assertEquals("A\nB\nC", render("A\n    {% if true %}\nB\n    {% endif %}\nC"));
        assertEquals("ABC", render("A\n  {{- 'B' -}}  \n C"));
        assertEquals("0:user, 1:assistant, 2:user3", render("{%- for m in messages -%}\n{{ loop.index0 }}:{{ m.role }}"
                + "{{ ', ' if not loop.last }}\n{%- endfor %}{# a comment #}\n{{ messages | length }}"));
    }

    @Test
    void pythonStringMethodsWork() {
        assertEquals("Hello world?|True|3;Good to go|False|3;Why?|False|1;", render("{% for m in messages %}"
                + "{{ m.content.strip() }}|{{ m.content.startswith(' H') }}|{{ m.content.split(' ') | length }};{% endfor %}"));
        assertEquals("HELLO WORLD?G00d t0 g0a-b", render("{{ messages[0].content.lstrip().upper() }}"
                + "{{ messages[1].content.replace('o', '0') }}{{ '-'.join(['a','b']) }}"));
        assertEquals("Trueassistant,user", render("{% if messages[-1].role == 'user' %}{{ messages[-1].content.endswith('?') }}"
                + "{% endif %}{{ messages[1:] | map(attribute='role') | join(',') }}"));
    }

    @Test
    void tojsonIsPythonsJsonDumps() {
        assertEquals("{\"name\": \"f\", \"args\": [1, 2.5, \"x\\\"y\"], \"ok\": true, \"none\": null}",
                render("{{ {'name': 'f', 'args': [1, 2.5, 'x\"y'], 'ok': true, 'none': none} | tojson }}"));
        assertEquals("{\n  \"a\": [\n    1,\n    2\n  ]\n}", render("{{ {'a': [1, 2]} | tojson(indent=2) }}"));
    }

    @Test
    void namespacesCarryAcrossLoops() {
        assertEquals("True", render("{% set ns = namespace(found=false) %}{% for m in messages %}{% if m.role == 'assistant' %}"
                + "{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}"));
    }

    @Test
    void raiseExceptionIsOneSentence() {
        AbsorbException e = assertThrows(AbsorbException.class,
                () -> render("{% if messages[0].role == 'user' %}{{ raise_exception('System message first, please') }}{% endif %}"));
        assertEquals("The chat template refused the conversation: System message first, please", e.getMessage());
    }

    @Test
    void generationBlocksMarkAssistantSpans() {
        ChatTemplate t = new ChatTemplate("{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}"
                + "{% generation %}{{ m.content }}</end>{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}");
        ChatTemplate.Rendered r = t.render(MESSAGES, false, Map.of());
        assertEquals("<user> Hello world?<assistant>Good to go</end><user>Why?", r.text());
        assertEquals(1, r.generationSpans().size());
        int[] span = r.generationSpans().get(0);
        assertEquals("Good to go</end>", r.text().substring(span[0], span[1]));
        assertTrue(t.marksGenerations());
    }

    @Test
    void strftimeFormatsLikePython() {
        var day = java.time.ZonedDateTime.of(2027, 3, 5, 14, 7, 9, 0, java.time.ZoneOffset.UTC);
        assertEquals("05 Mar 2027", ChatTemplate.strftime(day, "%d %b %Y"));
        assertEquals("Friday, March 05 02:07PM 064 %", ChatTemplate.strftime(day, "%A, %B %d %I:%M%p %j %%"));
    }
}
