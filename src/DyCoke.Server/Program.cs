// Entry point of dycoke-server: hands the command line to the verb dispatcher.
using DyCoke.Server.Cli;

return VerbDispatcher.Run(args, Console.Out, Console.Error);
