"""Makes the engine's parity fixtures with Hugging Face transformers.

Run once by a developer, with the offline reference (see tools/README.md):

    python tools/make_engine_fixtures.py src/test/resources/fixtures/engine

For each of three tiny random checkpoints (Llama with llama3 rope scaling, saved in the transformers 4.x
layout; Qwen2 with q/k/v biases, tied embeddings and a sliding-window layer, saved in bfloat16 in the 5.x
layout; Mistral with multi-query attention, an explicit head_dim and a sliding window, saved in float16 and
sharded), it writes the model folder and `reference.json`: token ids of raw prompts and of chat
conversations (apply_chat_template with add_generation_prompt=True), logits and hidden states of every
position (float32 compute), a left- and a right-padded batch, and greedy generations.
The Java tests read these files; nothing here runs in CI.
"""

import json
import os
import shutil
import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GenerationConfig,
    LlamaConfig,
    LlamaForCausalLM,
    LlamaTokenizer,
    MistralConfig,
    MistralForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
    Qwen2Tokenizer,
)

CORPUS = [
    "The apple fell from the tree and the bird flew over the house.",
    "A car, an egg and a cup of milk stood on the kitchen table.",
    "She read the book about the opera while the plane waited on the sand.",
    "The sun rose over the rock; the mango tree cast a long shadow.",
    "Write code that prints the phone number, then test the code twice.",
    "Math is the study of numbers, shapes and patterns: 3 + 4 = 7.",
    "The dog chased the ball across the water toward the boat.",
    "Fire and metal make a key; paper and tea make a quiet afternoon.",
    "A mouse ran under the shoe box near the door of the house.",
    "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday.",
    "In 2027 the committee announced new results for the model.",
    "Hello! How are you today? I am fine, thank you for asking.",
    "You are a helpful assistant. Answer the question in one sentence.",
    "What is the capital of France? The capital of France is Paris.",
    "Numbers like 12, 345 and 6789 are split into digits by many tokenizers.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "café, naïve, déjà vu and Zürich use letters beyond plain ASCII.",
]

PROMPTS = [
    "The apple fell from the tree",
    "Hello! What is 3 + 4? Write code, then a café ☕ note.",
    " bird car egg house milk plane opera box sand sun mango rock",
]

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "  Hello! How are you today?  "},
        {"role": "user", "content": "Write code that prints 7."},
    ],
]

# Chat templates written for these fixtures. They use the Jinja features that real checkpoints' templates use:
# slicing, `set` across scopes, loop.first / loop.index0 / loop.last, filters (trim, length), string methods,
# raise_exception, `is defined`, whitespace control and the special-token variables.
LLAMA_TEMPLATE = """{{- bos_token }}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "01 Jan 2027" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
{{- "Today Date: " + date_string + "\\n\\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {%- if message['role'] not in ['user', 'assistant'] %}
        {{- raise_exception('Unknown role: ' + message['role']) }}
    {%- endif %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""

QWEN_TEMPLATE = """{%- for message in messages %}
    {%- if loop.first and message.role != 'system' %}
        {{- '<|im_start|>system\\nYou are a concise assistant.<|im_end|>\\n' }}
    {%- endif %}
    {%- if message.role == 'assistant' and message.content.startswith(' ') %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content.strip() + '<|im_end|>' + '\\n' }}
    {%- else %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

MISTRAL_TEMPLATE = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.last and system_message is defined %}
            {{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}
        {%- else %}
            {{- '[INST] ' + message['content'] + '[/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content']|trim + eos_token }}
    {%- endif %}
{%- endfor %}
"""


def train_bpe(pre_tokenizer, special_tokens, vocab_size, byte_level):
    tok = Tokenizer(models.BPE(byte_fallback=not byte_level))
    tok.pre_tokenizer = pre_tokenizer
    alphabet = pre_tokenizers.ByteLevel.alphabet() if byte_level else []
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=special_tokens, initial_alphabet=alphabet, show_progress=False
    )
    tok.train_from_iterator(CORPUS, trainer)
    return tok


def llama3_tokenizer(folder):
    """Byte-level BPE; BOS added by the post-processor, as Llama 3's tokenizer.json does."""
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    tok = train_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False), specials, 600, byte_level=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.Sequence(
        [
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                special_tokens=[("<|begin_of_text|>", tok.token_to_id("<|begin_of_text|>"))],
            ),
        ]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", model_max_length=256
    )
    fast.chat_template = LLAMA_TEMPLATE
    fast.save_pretrained(folder)
    return fast


def qwen2_tokenizer(folder):
    """Qwen2's own class, rebuilt from the vocabulary and merges of a BPE trained on the corpus."""
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trained = train_bpe(pre_tokenizers.ByteLevel(add_prefix_space=False), specials, 560, byte_level=True)
    state = json.loads(trained.to_str())
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
    tok = Qwen2Tokenizer(vocab=state["model"]["vocab"], merges=merges, model_max_length=256)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = QWEN_TEMPLATE
    tok.save_pretrained(folder)
    return tok


def mistral_tokenizer(folder):
    """Sentencepiece-style BPE (Metaspace, byte fallback) through LlamaTokenizer, BOS added."""
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    trained = train_bpe(pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first"), specials, 700, False)
    state = json.loads(trained.to_str())
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["model"]["merges"]]
    tok = LlamaTokenizer(vocab=state["model"]["vocab"], merges=merges, model_max_length=256, add_bos_token=True)
    tok.chat_template = MISTRAL_TEMPLATE
    tok.save_pretrained(folder)
    # Mistral's own tokenizer_config.json states add_bos_token explicitly; transformers then rebuilds the
    # post-processor from it rather than trusting tokenizer.json's.
    path = os.path.join(folder, "tokenizer_config.json")
    with open(path) as f:
        tc = json.load(f)
    tc["add_bos_token"] = True
    tc["add_eos_token"] = False
    with open(path, "w") as f:
        json.dump(tc, f, indent=2)
    return tok


def to_transformers4_layout(folder, template_into_config):
    """Rewrites a folder as transformers 4.x saved it: rope_theta / rope_scaling at the top, torch_dtype,
    and (optionally) the chat template inside tokenizer_config.json instead of chat_template.jinja."""
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rope = cfg.pop("rope_parameters")
    cfg["rope_theta"] = rope.pop("rope_theta")
    if rope.get("rope_type", "default") != "default":
        cfg["rope_scaling"] = rope
    cfg["torch_dtype"] = cfg.pop("dtype")
    cfg["transformers_version"] = "4.46.0"
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)
    if template_into_config:
        jinja = os.path.join(folder, "chat_template.jinja")
        with open(jinja) as f:
            template = f.read()
        os.remove(jinja)
        tc_path = os.path.join(folder, "tokenizer_config.json")
        with open(tc_path) as f:
            tc = json.load(f)
        tc["chat_template"] = template
        with open(tc_path, "w") as f:
            json.dump(tc, f, indent=2)


def floats(t):
    return t.detach().to(torch.float32).tolist()


@torch.no_grad()
def references(folder):
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    ref = {"prompts": [], "chats": [], "batches": [], "generations": []}

    for text in PROMPTS:
        ids = tok(text)["input_ids"]
        out = model(torch.tensor([ids]), output_hidden_states=True)
        ref["prompts"].append(
            {
                "text": text,
                "token_ids": ids,
                "decoded": tok.decode(ids, skip_special_tokens=True),
                "logits": floats(out.logits[0]),
                "hidden_states": [floats(h[0]) for h in out.hidden_states],
            }
        )

    for messages in CONVERSATIONS:
        rendered = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
        ref["chats"].append({"messages": messages, "rendered": rendered, "token_ids": list(ids)})

    # Padded batches: positions count real tokens only (as generate() does), so each row matches its
    # unpadded run.
    rows = [tok(t)["input_ids"] for t in PROMPTS[:2]]
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    width = max(len(r) for r in rows)
    for side in ("left", "right"):
        ids, mask = [], []
        for r in rows:
            fill = [pad] * (width - len(r))
            ids.append(fill + r if side == "left" else r + fill)
            mask.append([0] * len(fill) + [1] * len(r) if side == "left" else [1] * len(r) + [0] * len(fill))
        ids_t, mask_t = torch.tensor(ids), torch.tensor(mask)
        positions = (mask_t.cumsum(-1) - 1).masked_fill(mask_t == 0, 0)
        out = model(ids_t, attention_mask=mask_t, position_ids=positions)
        ref["batches"].append({"side": side, "token_ids": ids, "attention_mask": mask, "logits": floats(out.logits)})

    gen = model.generation_config
    for text in PROMPTS[:2]:
        ids = tok(text)["input_ids"]
        out = model.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False)
        ref["generations"].append({"token_ids": ids, "new_token_ids": out[0, len(ids):].tolist()})
    ref["generation_eos_token_id"] = gen.eos_token_id
    return ref


def save(folder, ref):
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f)


def set_generation_eos(folder, model, tok, eos_ids):
    gc = GenerationConfig(
        bos_token_id=model.config.bos_token_id, eos_token_id=eos_ids, pad_token_id=tok.pad_token_id
    )
    gc.save_pretrained(folder)


def stopping_token(folder):
    """A token the greedy run of the first prompt emits at its fourth step: made an EOS id, it stops there."""
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    ids = tok(PROMPTS[0])["input_ids"]
    out = model.generate(torch.tensor([ids]), max_new_tokens=6, do_sample=False)
    return int(out[0, len(ids) + 3])


def make_llama(root):
    folder = os.path.join(root, "llama")
    tok = llama3_tokenizer(folder)
    torch.manual_seed(1)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        rms_norm_eps=1e-5,
        max_position_embeddings=256,
        attention_bias=True,
        tie_word_embeddings=False,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        rope_parameters={
            "rope_type": "llama3",
            "rope_theta": 10000.0,
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64,
        },
    )
    model = LlamaForCausalLM(config)
    init_weights(model)
    model.save_pretrained(folder)
    to_transformers4_layout(folder, template_into_config=True)
    eos = [tok.eos_token_id, stopping_token(folder)]
    set_generation_eos(folder, model, tok, eos)
    save(folder, references(folder))


def make_qwen2(root):
    folder = os.path.join(root, "qwen2")
    tok = qwen2_tokenizer(folder)
    torch.manual_seed(2)
    config = Qwen2Config(
        vocab_size=len(tok) + 13,  # the embedding is larger than the tokenizer, as in Qwen2.5
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        rms_norm_eps=1e-6,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        use_sliding_window=True,
        sliding_window=8,
        max_window_layers=2,
        bos_token_id=None,
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
    )
    model = Qwen2ForCausalLM(config)
    init_weights(model)
    model.to(torch.bfloat16).save_pretrained(folder)
    save(folder, references(folder))


def make_mistral(root):
    folder = os.path.join(root, "mistral")
    tok = mistral_tokenizer(folder)
    torch.manual_seed(3)
    config = MistralConfig(
        vocab_size=len(tok),
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=1,
        head_dim=16,
        rms_norm_eps=1e-5,
        max_position_embeddings=256,
        sliding_window=6,
        tie_word_embeddings=False,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    model = MistralForCausalLM(config)
    init_weights(model)
    model.to(torch.float16).save_pretrained(folder, max_shard_size="60KB")
    save(folder, references(folder))


def init_weights(model):
    """Random weights large enough that every layer changes the logits (HF's default init is tiny)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/fixtures/engine"
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    make_llama(root)
    make_qwen2(root)
    make_mistral(root)
    for name in sorted(os.listdir(root)):
        print(name, sorted(os.listdir(os.path.join(root, name))))


if __name__ == "__main__":
    main()
