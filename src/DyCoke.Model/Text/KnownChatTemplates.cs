// The chat template texts ChatTemplate knows how to render, verbatim from their source. A checkpoint's template must
// match one of these (after ChatTemplateCanonicalizer) or loading fails.
namespace DyCoke.Model.Text;

internal static class KnownChatTemplates
{
    /// <summary>
    /// LLaVA-OneVision. Source: the <c>chat_template</c> string of Hugging Face transformers'
    /// models/llava_onevision/convert_llava_onevision_weights_to_hf.py, which the llava-hf/llava-onevision-qwen2-*-hf
    /// checkpoints save as chat_template.json. The "\n" escapes are newline characters inside Jinja string literals.
    /// </summary>
    public const string LlavaOnevision =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}"
        + "{# Render all images first #}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
        + "{# Render all video then #}{% for content in message['content'] | selectattr('type', 'equalto', 'video') %}{{ '<video>\n' }}{% endfor %}"
        + "{# Render all text next #}{% if message['role'] != 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] }}{% endfor %}"
        + "{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{% generation %}{{ content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"
        + "{{'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
}
