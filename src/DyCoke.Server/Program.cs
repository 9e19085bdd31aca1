// Entry point of dycoke-server: `serve` (the default) builds and runs the OpenAI-compatible server; the other verbs
// (make-demo-model, selftest, help) go to the verb dispatcher.
using DyCoke.Server.Cli;
using DyCoke.Server.Hosting;

if (!ServeArguments.IsServe(args)) return VerbDispatcher.Run(args, Console.Out, Console.Error);

var app = ServerApp.Build(ServeArguments.Normalize(args));
await app.RunAsync();
return 0;
