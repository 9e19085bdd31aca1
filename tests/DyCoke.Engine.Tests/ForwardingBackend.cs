// The base of the engine tests' backend proxies: every IBackend call goes to the wrapped backend, with what the target
// threw rethrown as itself (not wrapped in TargetInvocationException); a subclass looks at or replaces calls first.
using System.Reflection;
using System.Runtime.ExceptionServices;
using DyCoke.Tensors;

namespace DyCoke.Engine.Tests;

public abstract class ForwardingBackend : DispatchProxy
{
    protected IBackend Inner { get; private set; } = null!;

    /// <summary>A new proxy of type <typeparamref name="TSelf"/> over <paramref name="inner"/>, and the proxy object
    /// itself for the subclass to set up.</summary>
    protected static (IBackend Proxy, TSelf Self) WrapAs<TSelf>(IBackend inner) where TSelf : ForwardingBackend
    {
        var proxy = Create<IBackend, TSelf>();
        var self = (TSelf)(object)proxy;
        self.Inner = inner;
        return (proxy, self);
    }

    /// <summary>Runs the call on the wrapped backend.</summary>
    protected object? Forward(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(Inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
