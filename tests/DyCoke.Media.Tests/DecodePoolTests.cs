// The bounded decode pool: workers run, a limited number wait, the next one is refused with QueueFull (503) at once,
// and cancelled waiters give their place back.
using Xunit;

namespace DyCoke.Media.Tests;

public sealed class DecodePoolTests
{
    [Fact]
    public async Task Enter_BeyondWorkersPlusQueue_QueueFull503()
    {
        using var pool = new DecodePool(workers: 1, queueLimit: 1);
        using DecodePool.Ticket running = pool.Enter();
        await running.WaitForWorkerAsync(TestContext.Current.CancellationToken);
        using DecodePool.Ticket waiting = pool.Enter();

        var e = Assert.Throws<MediaException>(() => pool.Enter());

        Assert.Equal(MediaErrorKind.QueueFull, e.Kind);
        Assert.Equal(503, e.HttpStatus);
        Assert.Null(e.Param);
        Assert.Equal(2, pool.Admitted);
        Assert.Equal(1, pool.Running);
    }

    [Fact]
    public async Task WaitForWorkerAsync_WorkerBusy_WaitsUntilReleased()
    {
        using var pool = new DecodePool(workers: 1, queueLimit: 4);
        DecodePool.Ticket first = pool.Enter();
        await first.WaitForWorkerAsync(TestContext.Current.CancellationToken);
        using DecodePool.Ticket second = pool.Enter();

        Task waiting = second.WaitForWorkerAsync(TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);
        first.Dispose();
        await waiting;

        Assert.Equal(1, pool.Running);
        Assert.Equal(1, pool.Admitted);
    }

    [Fact]
    public async Task WaitForWorkerAsync_Cancelled_PlaceGivenBack()
    {
        using var pool = new DecodePool(workers: 1, queueLimit: 1);
        using DecodePool.Ticket running = pool.Enter();
        await running.WaitForWorkerAsync(TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();

        using (DecodePool.Ticket waiting = pool.Enter())
        {
            Task wait = waiting.WaitForWorkerAsync(cancel.Token);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }

        using DecodePool.Ticket again = pool.Enter();
        Assert.Equal(2, pool.Admitted);
        Assert.Equal(1, pool.Running);
    }

    [Fact]
    public async Task Dispose_Twice_ReleasesOnce()
    {
        using var pool = new DecodePool(workers: 2, queueLimit: 0);
        DecodePool.Ticket ticket = pool.Enter();
        await ticket.WaitForWorkerAsync(TestContext.Current.CancellationToken);

        ticket.Dispose();
        ticket.Dispose();

        Assert.Equal(0, pool.Admitted);
        Assert.Equal(0, pool.Running);
    }

    [Fact]
    public async Task VideoLoader_PoolFull_SecondRequestRefusedBeforeFetching()
    {
        await using var server = new LoopbackHttpServer();
        server.Hang("/slow.mp4");
        server.Hang("/other.mp4");
        using var sandbox = new MediaSandbox();
        using var loader = new VideoLoader(sandbox.Options() with { DecodeWorkers = 1, DecodeQueueLimit = 0 });
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        Task<VideoFrames> first = loader.LoadAsync(new VideoRequest(server.Url("/slow.mp4")), cancel.Token);
        var e = await Assert.ThrowsAsync<MediaException>(() => loader.LoadAsync(new VideoRequest(server.Url("/other.mp4")), cancel.Token));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        Assert.Equal(MediaErrorKind.QueueFull, e.Kind);
        Assert.Equal(503, e.HttpStatus);
        Assert.DoesNotContain("/other.mp4", server.Requests);
        Assert.Equal(0, loader.Pool.Admitted);
        sandbox.AssertClean();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -1)]
    public void Constructor_BadSizes_Throws(int workers, int queueLimit)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecodePool(workers, queueLimit));
    }
}
