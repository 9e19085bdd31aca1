// Chunked prefill in the scheduler, without a model: in every step each prefilled sequence decodes and the prefill
// work stays within TokenBudget − decodes; long prompts and videos are split over steps while others keep decoding;
// a frame dearer than the whole budget is encoded alone; preemption mid-prefill starts the prefill over.
using Xunit;

namespace DyCoke.Engine.Tests;

public sealed class ChunkedSchedulingTests
{
    [Fact]
    public void Schedule_LongPromptWhileOthersDecode_IsSplitAndEveryDecodeContinues()
    {
        var (scheduler, _) = SchedulerTests.Create(numBlocks: 200, new SchedulerOptions { BlockSize = 4, TokenBudget = 16 });
        var a = TestSequences.Create(4, maxTokens: 50);
        var b = TestSequences.Create(5, maxTokens: 50);
        scheduler.Add(a);
        scheduler.Add(b);
        TestSequences.Run(scheduler.Schedule());
        var longPrompt = TestSequences.Create(100, maxTokens: 4);
        scheduler.Add(longPrompt);

        for (int step = 1; step <= 8; step++)
        {
            var planned = scheduler.Schedule();
            Assert.Equal([a, b], planned.Decodes);
            var work = Assert.Single(planned.Prefills);
            Assert.Equal(longPrompt, work.Sequence);
            Assert.Equal(step < 8 ? 14 : 100 - 7 * 14, work.Tokens); // 16 − 2 decodes per step
            Assert.True(planned.PrefillTokens <= 16 - planned.Decodes.Count);
            TestSequences.Run(planned);
            Assert.Equal(step == 8, longPrompt.IsPrefilled);
        }
        Assert.Equal([a, b, longPrompt], scheduler.Schedule().Decodes);
        Assert.Equal(9, a.OutputIds.Count); // one token in each of the 9 steps run
    }

    [Fact]
    public void Schedule_VideoFrameDearerThanTheBudget_IsEncodedAloneWhileDecodesContinue()
    {
        var (scheduler, _) = SchedulerTests.Create(numBlocks: 400, new SchedulerOptions { BlockSize = 4, TokenBudget = 32 });
        var running = TestSequences.Create(6, maxTokens: 100);
        scheduler.Add(running);
        TestSequences.Run(scheduler.Schedule());
        var video = TestSequences.Create(3 * 196 + 1 + 5, maxTokens: 4, videoFrames: 3);
        var behind = TestSequences.Create(3, maxTokens: 4);
        scheduler.Add(video);
        scheduler.Add(behind);

        for (int frame = 0; frame < 3; frame++)
        {
            var step = scheduler.Schedule();
            Assert.Equal([running], step.Decodes);
            Assert.Equal([new PrefillWork(video, 1, 0)], step.Prefills); // nothing else beside an over-budget frame
            Assert.Equal(196, step.PrefillTokens);
            TestSequences.Run(step);
        }
        Assert.Equal(0, video.NumFramesToEncode);
        Assert.Equal(SequenceStatus.Waiting, behind.Status); // FCFS: it waits behind the video's prompt

        int steps = 0;
        while (!video.IsPrefilled)
        {
            var step = scheduler.Schedule();
            Assert.Contains(running, step.Decodes);
            Assert.Equal(video, step.Prefills[0].Sequence);
            Assert.True(step.PrefillTokens <= 32 - step.Decodes.Count, $"step {steps}: {step.PrefillTokens} prefill tokens");
            TestSequences.Run(step);
            steps++;
        }
        Assert.Equal((video.NumPromptTokens + 30) / 31, steps); // 31 tokens a step
        Assert.Equal(3 + steps + 1, running.OutputIds.Count);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(false, 3)]
    public void Schedule_RandomTraffic_PrefillStaysWithinTheBudgetLeftByDecodes(bool reserve, int seed)
    {
        // A video frame costs 5 tokens here, so no frame is dearer than the budget and the bound holds in every step.
        const int budget = 24, blockSize = 4, numBlocks = 60;
        var options = new SchedulerOptions { BlockSize = blockSize, TokenBudget = budget, MaxRunningSequences = 6, ReserveFullOutput = reserve };
        var (scheduler, pool) = SchedulerTests.Create(numBlocks, options, visionTokensPerFrame: 5);
        var rng = new Random(seed);
        var all = new List<Sequence>();
        for (int step = 0; step < 2000 && (all.Count < 40 || scheduler.HasWork); step++)
        {
            if (all.Count < 40 && rng.Next(3) == 0)
            {
                int frames = rng.Next(4) == 0 ? rng.Next(1, 5) : 0;
                var seq = TestSequences.Create(rng.Next(1, 70) + 5 * frames, maxTokens: rng.Next(1, 30), blockSize, frames);
                all.Add(seq);
                scheduler.Add(seq);
            }
            var prefilledBefore = scheduler.Running.Where(s => s.IsPrefilled).ToList();

            var planned = scheduler.Schedule();

            foreach (var seq in prefilledBefore.Except(planned.Preempted)) Assert.Contains(seq, planned.Decodes);
            Assert.True(planned.PrefillTokens <= budget - planned.Decodes.Count, $"step {step}: {planned.PrefillTokens} prefill tokens beside {planned.Decodes.Count} decodes");
            Assert.Equal(planned.Prefills.Sum(w => 5 * w.Frames + w.Tokens), planned.PrefillTokens);
            Assert.All(planned.Prefills, w => Assert.True(w.Sequence.NumBlocks * blockSize >= w.Sequence.NumCachedTokens + w.Tokens));
            TestSequences.Run(planned);
            foreach (var seq in scheduler.Running.Where(s => s.OutputIds.Count >= s.Sampling.MaxTokens).ToList()) scheduler.Finish(seq);
            Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);
        }
        Assert.False(scheduler.HasWork);
        Assert.Equal(40, all.Count);
        Assert.All(all, s => Assert.Equal(SequenceStatus.Finished, s.Status));
        Assert.Equal(0, pool.NumUsedBlocks);
    }

    [Fact]
    public void Schedule_PreemptedWhilePrefilling_StartsThePrefillOver()
    {
        // 8 blocks of 4: a decoding sequence grows until the newest one, still prefilling 2 tokens a step, must give way.
        var (scheduler, pool) = SchedulerTests.Create(numBlocks: 8, new SchedulerOptions { BlockSize = 4, TokenBudget = 3, ReserveFullOutput = false });
        var old = TestSequences.Create(4, maxTokens: 28);
        scheduler.Add(old);
        TestSequences.Run(scheduler.Schedule());
        var young = TestSequences.Create(20, maxTokens: 2);
        scheduler.Add(young);

        ScheduledStep step;
        int progress = 0;
        do
        {
            progress = young.NumCachedTokens;
            step = scheduler.Schedule();
            TestSequences.Run(step);
        }
        while (step.Preempted.Count == 0);

        Assert.InRange(progress, 2, 19); // partly prefilled when the pool ran dry
        Assert.Equal([young], step.Preempted);
        Assert.Contains(old, step.Decodes);
        Assert.False(young.IsPrefilled);
        Assert.Equal(0, young.NumCachedTokens);
        Assert.Null(young.Prefill);
        Assert.Equal(0, young.NumBlocks);
        Assert.Equal(young, scheduler.Waiting.First());
        Assert.Equal(pool.NumBlocks, pool.NumFreeBlocks + pool.NumUsedBlocks);

        while (old.OutputIds.Count < old.Sampling.MaxTokens) TestSequences.Run(scheduler.Schedule());
        scheduler.Finish(old);
        while (!young.IsPrefilled) TestSequences.Run(scheduler.Schedule());
        Assert.Equal(20, young.NumPromptTokens);
        Assert.Equal(1, young.NumPreemptions);
    }
}
