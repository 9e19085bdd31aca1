// The LLaVA-OneVision chat template (Jinja), as shipped in chat_template.json (llava-onevision.md §5.1).
// Source: the `chat_template` string in huggingface/transformers
// src/transformers/models/llava_onevision/convert_llava_onevision_weights_to_hf.py, the script that wrote the hub files
// (the hub's chat_template.json is reported 2 bytes longer; llava-onevision.md §10 — compare when a real one is at hand).
namespace DyCoke.Model.Demo;

internal static class LlavaOnevisionChatTemplate
{
    /// <summary>
    /// Per message: <c>&lt;|im_start|&gt;role\n</c>, one <c>&lt;image&gt;\n</c> per image item, one <c>&lt;video&gt;\n</c>
    /// per video item, the text items, <c>&lt;|im_end|&gt;\n</c>; with add_generation_prompt,
    /// <c>&lt;|im_start|&gt;assistant\n</c>. The <c>{% generation %}</c> block only marks assistant text for training masks.
    /// </summary>
    // '\n' is a real newline inside the Jinja string literals, exactly as the script's Python '\n' makes it.
    public const string Text =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}"
        + "{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
        + "{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>\n' }}{% endfor %}"
        + "{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}"
        + "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"
        + "{{'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
}
