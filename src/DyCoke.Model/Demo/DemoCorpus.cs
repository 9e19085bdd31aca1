// The built-in text the demo tokenizer learns its merges from: plain English and a little Markdown, written for
// this project. Changing it changes the demo vocabulary (and so every demo checkpoint), so edit it deliberately.
namespace DyCoke.Model.Demo;

internal static class DemoCorpus
{
    public const string Text = """
        # Watching a video, one frame at a time

        A video is a long row of pictures. When the pictures follow each other quickly enough, the eye sees
        motion instead of a slide show. Most of the frames in a short clip look almost the same as the frames
        next to them: the kitchen is still the kitchen, the dog is still on the sofa, and only a hand or a
        tail has moved. That is why a model that reads every frame in full spends most of its time reading
        the same thing again and again.

        ## What the model sees

        The model does not see pixels directly. Each frame is cut into small square patches, and every patch
        becomes a vector of numbers. A vision encoder turns those vectors into features, a small projector
        moves them into the space of the language model, and the language model then reads them like words.
        A question from the user comes after the video, and the answer is written one token at a time.

        - The frames are resized to the same square size.
        - Each frame gives a grid of patches, and the grid is pooled to make it smaller.
        - The pooled features of all frames are placed in order, frame after frame.
        - A single learned vector marks the end of the video.

        ## Why fewer tokens help

        Attention compares every token with every other token, so the cost grows quickly with the length of
        the prompt. If two neighbouring frames carry the same information, one of them can often be dropped
        without changing the answer. The trick is to decide which tokens are safe to drop, and to do it
        cheaply, before the expensive part of the work begins.

        1. Compare each frame with the frame before it.
        2. Keep the tokens that changed, and merge the ones that did not.
        3. While the answer is being written, look at where the model is paying attention.
        4. Skip the video tokens that receive almost no attention in the later layers.

        > A good summary of a video is not a list of every frame. It is a list of the moments that matter.

        ## A small example

        Suppose the user asks: "What is the person in the video doing?" The model might answer:
        "The person is standing in a garden and watering the flowers with a green can." If the first
        half of the clip shows only the garden, those frames add very little, and the answer stays the same
        when most of their tokens are removed.

        ```text
        user: What happens at the end of the video?
        assistant: The cat jumps off the table and walks out of the room.
        ```

        ## Serving many users

        A server that answers questions about videos must share one model between many people. It keeps a
        queue of waiting requests, decides which of them to run in the next step, and streams the words of
        each answer back as soon as they are ready. Memory is the scarce resource: every token that stays in
        the cache takes space, and every token that can be dropped leaves room for another user.

        | setting | meaning |
        | --- | --- |
        | frames | how many pictures are taken from each video |
        | max tokens | the longest answer the server will write |
        | temperature | how much randomness is allowed when choosing the next word |

        The server should be honest about what it is running. When it starts without real weights, it uses a
        tiny demo model whose answers are random words. That model is only there so that the whole path, from
        the request to the streamed answer, can be tested on any computer, with or without a graphics card.

        ## Notes for the reader

        This text exists to give the tokenizer something to learn from. It is written in simple English, with
        headings, lists, a table, a quote and a block of code, because those are the shapes of text that the
        server will see most often. The words repeat on purpose: the more often a pair of letters appears, the
        sooner it becomes a token of its own. Numbers such as 1, 2, 8, 14, 27, 196, 384 and 729 appear too,
        and so do small words like the, a, of, and, to, in, is, it, that and with.

        Thank you for reading. Now the model can watch the video, think about the question, and write the
        answer, one token at a time, until it reaches the end.
        """;
}
