// Host work started by IBackend.StartHost: it runs beside the ops the caller issues next, and the caller waits for it
// only where it needs the result (DyCoke's decisions are started after layer L − 1's attention and waited for when
// layer L asks for its lists).
namespace DyCoke.Tensors;

/// <summary>A piece of host work running in the background; <see cref="Wait"/> once before using what it produced.</summary>
public interface IHostWork
{
    /// <summary>Returns when the work has finished (running it on the calling thread if no other thread has taken it
    /// yet, where the backend allows); rethrows the exception it ended with.</summary>
    void Wait();
}

/// <summary>Host work on the .NET thread pool (backends whose compute threads are not host threads, i.e. GPUs).</summary>
internal sealed class ThreadPoolHostWork(int count, Action<int> body) : IHostWork
{
    private readonly Task _task = Task.Run(() => Parallel.For(0, count, body));

    public void Wait()
    {
        try
        {
            _task.GetAwaiter().GetResult();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Parallel.For wraps what the items threw; the first one is what the caller would have seen inline.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }
}
