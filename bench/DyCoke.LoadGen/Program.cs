// Entry point of dycoke-loadgen: Ctrl+C cancels the sweep; everything else is in LoadGenCommand.
using DyCoke.LoadGen;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the sweep unwind and dispose its connections
    cancel.Cancel();
};
return await LoadGenCommand.RunAsync(args, Console.Out, Console.Error, cancel.Token);
