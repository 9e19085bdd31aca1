// Reduces a Jinja chat template to a canonical form so that two templates that render the same way compare equal:
// comments, whitespace inside tags and whitespace the transformers Jinja settings trim are dropped, string literals
// are unescaped, and adjacent literal concatenations ('a' + 'b') are folded. It does not evaluate anything.
using System.Text;

namespace DyCoke.Model.Text;

internal static class ChatTemplateCanonicalizer
{
    private const char Separator = '\u0001';

    /// <summary>The canonical form of <paramref name="template"/>.</summary>
    /// <exception cref="FormatException">A tag or string literal is not closed.</exception>
    public static string Canonicalize(string template)
    {
        var parts = new List<string>();
        var text = new StringBuilder(); // literal text since the last tag
        bool stripLeading = false, dropNewline = false;
        int i = 0;
        while (i < template.Length)
        {
            int open = FindOpening(template, i);
            string outside = template[i..(open < 0 ? template.Length : open)];
            // A closing '-' strips all following whitespace; trim_blocks drops one newline after a block tag.
            if (stripLeading) outside = outside.TrimStart();
            else if (dropNewline && outside.StartsWith('\n')) outside = outside[1..];
            text.Append(outside);
            if (open < 0) break;

            char kind = template[open + 1]; // '{' expression, '%' block, '#' comment
            int bodyStart = open + 2;
            bool leftStrip = bodyStart < template.Length && template[bodyStart] == '-';
            if (leftStrip || bodyStart < template.Length && template[bodyStart] == '+') bodyStart++;
            if (leftStrip) TrimEnd(text);
            else if (kind != '{') StripLineIndent(text, template, open); // lstrip_blocks

            int close = FindClosing(template, bodyStart, kind);
            bool rightStrip = close > bodyStart && template[close - 1] == '-';
            if (kind != '#')
            {
                if (text.Length > 0) parts.Add("text:" + text);
                text.Clear();
                string body = template[bodyStart..(rightStrip ? close - 1 : close)];
                parts.Add((kind == '{' ? "{{ " : "{% ") + CanonicalExpression(body) + (kind == '{' ? " }}" : " %}"));
            }
            stripLeading = rightStrip;
            dropNewline = kind != '{';
            i = close + 2;
        }
        if (text.Length > 0) parts.Add("text:" + text);
        return string.Join(Separator, parts);
    }

    private static int FindOpening(string template, int from)
    {
        for (int i = template.IndexOf('{', from); i >= 0 && i + 1 < template.Length; i = template.IndexOf('{', i + 1))
        {
            if (template[i + 1] is '{' or '%' or '#') return i;
        }
        return -1;
    }

    // The closing delimiter, skipping string literals inside expressions and blocks.
    private static int FindClosing(string template, int from, char kind)
    {
        char closer = kind == '{' ? '}' : kind;
        for (int i = from; i + 1 < template.Length; i++)
        {
            char c = template[i];
            if (kind != '#' && c is '\'' or '"')
            {
                i = EndOfLiteral(template, i);
                continue;
            }
            if (c == closer && template[i + 1] == '}') return i;
        }
        throw new FormatException($"the tag opened at offset {from - 2} is not closed");
    }

    private static int EndOfLiteral(string s, int start)
    {
        for (int i = start + 1; i < s.Length; i++)
        {
            if (s[i] == '\\') i++;
            else if (s[i] == s[start]) return i;
        }
        throw new FormatException($"the string literal at offset {start} is not closed");
    }

    private static string CanonicalExpression(string body)
    {
        var tokens = new List<string>();
        for (int i = 0; i < body.Length;)
        {
            char c = body[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            int start = i;
            if (c is '\'' or '"')
            {
                i = EndOfLiteral(body, i) + 1;
                tokens.Add(Quote(Unescape(body[(start + 1)..(i - 1)])));
            }
            else if (char.IsLetterOrDigit(c) || c == '_')
            {
                while (i < body.Length && (char.IsLetterOrDigit(body[i]) || body[i] == '_')) i++;
                tokens.Add(body[start..i]);
            }
            else
            {
                i += i + 1 < body.Length && body.Substring(i, 2) is "==" or "!=" or "<=" or ">=" or "//" or "**" ? 2 : 1;
                tokens.Add(body[start..i]);
            }
        }
        FoldLiteralConcatenations(tokens);
        return string.Join(' ', tokens);
    }

    // 'a' + 'b' -> 'ab', only where no neighbouring operator binds tighter than '+'.
    private static void FoldLiteralConcatenations(List<string> tokens)
    {
        for (int k = 0; k + 2 < tokens.Count;)
        {
            bool fold = IsLiteral(tokens[k]) && tokens[k + 1] == "+" && IsLiteral(tokens[k + 2])
                && (k == 0 || tokens[k - 1] is "+" or "(" or "," or "[")
                && (k + 3 == tokens.Count || tokens[k + 3] is "+" or ")" or "," or "]");
            if (!fold) { k++; continue; }
            tokens[k] = Quote(Unquote(tokens[k]) + Unquote(tokens[k + 2]));
            tokens.RemoveRange(k + 1, 2);
        }
    }

    private static bool IsLiteral(string token) => token.Length >= 2 && token[0] == '\'';

    private static string Quote(string value) =>
        "'" + value.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'";

    private static string Unquote(string token) => Unescape(token[1..^1]);

    // The escapes Jinja's lexer resolves in string literals that templates use; others keep their backslash.
    private static string Unescape(string raw)
    {
        var sb = new StringBuilder(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\r' && i + 1 < raw.Length && raw[i + 1] == '\n') continue; // Jinja normalizes newlines
            if (raw[i] != '\\' || i + 1 == raw.Length) { sb.Append(raw[i]); continue; }
            char e = raw[++i];
            sb.Append(e switch { 'n' => "\n", 't' => "\t", 'r' => "\r", '\\' => "\\", '\'' => "'", '"' => "\"", _ => "\\" + e });
        }
        return sb.ToString();
    }

    private static void TrimEnd(StringBuilder text)
    {
        int end = text.Length;
        while (end > 0 && char.IsWhiteSpace(text[end - 1])) end--;
        text.Length = end;
    }

    // Spaces and tabs between the start of a source line and a block or comment tag (they end the text buffer).
    private static void StripLineIndent(StringBuilder text, string template, int tagStart)
    {
        int start = tagStart;
        while (start > 0 && template[start - 1] is ' ' or '\t') start--;
        if (start == 0 || template[start - 1] == '\n') text.Length -= Math.Min(text.Length, tagStart - start);
    }
}
